#!/usr/bin/env bats
# The suite: a test a kind of measurement, each measuring its cells through
# suites/scenario.sh (the judge), which compares them with fixtures/PROBE.tsv.
# Fourteen tests in one file, on purpose: Bats spends ~30 ms a test and as
# much again a file here, a second or more of each under emulation
# (--kernel), while the record has every cell (RESULTS.md, results.json,
# JUnit, KTAP) and a failing test lists every cell with its verdict. The test
# names are what --filter picks.

load helpers

# The named mechanisms, in the order of the record.
NAMED=(sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo unix-path unix-abstract)

# Named mechanisms: can a name made on one side of an IPC namespace boundary
# be reached from the other? probe-named measures a mechanism's cells in one
# process: host to namespace through clone, clone3, unshare and util-linux;
# namespace to host; sibling namespaces; the same name on both sides; joining
# through setns, pidfd and util-linux (probe-named --help).
@test "named mechanisms: SysV msg, sem, shm; POSIX mq, sem, shm; FIFO; unix path and abstract sockets" {
	measure_each probe-named -- "${NAMED[@]}"
}

# Inherited channels: a child in a new IPC namespace sends through a channel it
# inherited; does the value reach the parent outside? The positive control is
# the same probe making no namespace.
@test "inherited channels: pipe, socketpair, eventfd, memfd, unnamed POSIX semaphore, signal" {
	measure_each probe-inherit --cells -- pipe socketpair eventfd memfd posix-sem-unnamed signal
}

# Container-like variants: a new IPC namespace together with a mount namespace
# (fresh tmpfs on /dev/shm, fresh mqueue on /dev/mqueue where it exists) or a
# network namespace: host to namespace and namespace to host, for each named
# mechanism. They show where POSIX named semaphores, POSIX shared memory and
# abstract sockets become isolated, and that FIFOs and pathname sockets do
# not.
@test "with a mnt namespace: every named mechanism, host to namespace and namespace to host" {
	measure_each probe-named --variant mnt -- "${NAMED[@]}"
}

@test "with a net namespace: every named mechanism, host to namespace and namespace to host" {
	measure_each probe-named --variant net -- "${NAMED[@]}"
}

# Per-namespace sysctls: the 16 IPC sysctls, measured by probe-sysctl-defaults
# and probe-sysctl-writes in IPC namespaces they make themselves; every write
# happens in one of them, never on the host.
@test "sysctls: a new namespace starts from the defaults, not its parent's values" {
	measure --observe probe-sysctl-defaults new-ns-default
}

@test "sysctls: writes stay on their side, an fd keeps its namespace, the owning user namespace's root may write" {
	measure_each probe-sysctl-writes -- child-write-hidden parent-write-hidden fd-bound rootless-write
}

# What happens at the boundary of an IPC namespace: SEM_UNDO when a process
# crosses it, handles made before unshare, SysV ids from the other side, and
# what nsfs says of a namespace. A probe a topic measures its cells in one
# process, inside a namespace it makes.
@test "sem-undo: SEM_UNDO at unshare and setns; CLONE_NEWIPC with CLONE_SYSVSEM" { measure --observe probe-sem-undo; }
@test "handles: shm mappings and ids, mqueue fds and names across unshare; shm_rmid_forced" { measure --observe probe-shm-handles; }
@test "ids: ids restart, host ids and /proc/sysvipc seen from a new namespace" { measure --observe probe-sysv-ids; }
@test "identity: the namespace's inode after unshare and setns; nsfs ioctls" { measure --observe probe-nsfs-identity; }

# How long IPC objects live, and which namespace an mqueue mount shows.
@test "lifetime: objects kept by an nsfs fd alone, destroyed with the last holder" { measure --observe probe-lifetime; }
@test "mqueue-fs: mounts before and after unshare, queues as files, mounting in a user namespace" { measure --observe probe-mqueue-fs; }

# The limits on IPC namespaces and what they share: max_ipc_namespaces, and
# the RLIMIT_MSGQUEUE budget across IPC namespaces of one user, in a user
# namespace of its own. (Churning thousands of namespaces is tools/stress.sh.)
@test "limits: max_ipc_namespaces gives ENOSPC; RLIMIT_MSGQUEUE is spent per user across IPC namespaces" { measure --observe probe-limits; }

# What util-linux's tools show across IPC namespaces (the seed note's terminal
# session).
@test "tools: ipcmk, ipcs, lsipc, nsenter, lsns, ipcrm; a namespace kept by a bind mount" { measure --observe probe-util-linux; }
