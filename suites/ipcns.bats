#!/usr/bin/env bats
# The suite: a test a topic, each measuring its cells through
# suites/scenario.sh (the judge), which compares them with fixtures/PROBE.tsv.
# Eight tests in one file, on purpose: Bats spends ~30 ms a test and as much
# again a file here (some 90 cells' worth of the judge), a second or more of
# each under emulation (--kernel), while the record has every cell
# (RESULTS.md, results.json, JUnit, KTAP) and a failing test lists every cell
# with its verdict. The test names are what --filter picks: each names the
# groups of cells it measures.

load helpers

# The named mechanisms, in the order of the record.
NAMED=(sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo unix-path unix-abstract)

# Named mechanisms: can a name made on one side of an IPC namespace boundary
# be reached from the other? probe-named measures a mechanism's cells in one
# process: host to namespace through clone, clone3, unshare and util-linux;
# namespace to host; sibling namespaces; the same name on both sides; joining
# through setns, pidfd and util-linux (probe-named --help).
@test "named mechanisms: SysV msg, sem, shm; POSIX mq, sem, shm; FIFO; unix path and abstract sockets" {
	each probe-named -- "${NAMED[@]}"
	measure "${OBSERVE[@]}"
}

# Inherited channels: a child in a new IPC namespace sends through a channel it
# inherited; does the value reach the parent outside? The positive control is
# the same probe making no namespace.
@test "inherited channels: pipe, socketpair, eventfd, memfd, unnamed POSIX semaphore, signal" {
	each probe-inherit --cells -- pipe socketpair eventfd memfd posix-sem-unnamed signal
	measure "${OBSERVE[@]}"
}

# Container-like variants: a new IPC namespace together with a mount namespace
# (fresh tmpfs on /dev/shm, fresh mqueue on /dev/mqueue where it exists) or a
# network namespace: host to namespace and namespace to host, for each named
# mechanism. They show where POSIX named semaphores, POSIX shared memory and
# abstract sockets become isolated, and that FIFOs and pathname sockets do
# not.
@test "variants: every named mechanism with a mnt namespace and with a net namespace, host to namespace and back" {
	each probe-named --variant mnt -- "${NAMED[@]}"
	each probe-named --variant net -- "${NAMED[@]}"
	measure "${OBSERVE[@]}"
}

# Per-namespace sysctls: the 16 IPC sysctls, measured by probe-sysctl-defaults
# and probe-sysctl-writes in IPC namespaces they make themselves; every write
# happens in one of them, never on the host.
@test "sysctls: a new namespace starts from the defaults; writes stay on their side, an fd keeps its namespace, the owning user namespace's root may write" {
	each probe-sysctl-defaults -- new-ns-default
	each probe-sysctl-writes -- child-write-hidden parent-write-hidden fd-bound rootless-write
	measure "${OBSERVE[@]}"
}

# What happens at the boundary of an IPC namespace: SEM_UNDO when a process
# crosses it, handles made before unshare, SysV ids from the other side, and
# what nsfs says of a namespace. A probe a group measures its cells in one
# process, inside a namespace it makes.
@test "boundary: sem-undo at unshare and setns; handles (shm, mqueue) across unshare; ids from either side; identity through nsfs" {
	measure --observe probe-sem-undo --observe probe-shm-handles --observe probe-sysv-ids \
		--observe probe-nsfs-identity
}

# How long IPC objects live, and which namespace an mqueue mount shows.
@test "lifetime and mqueue-fs: objects kept by an nsfs fd alone, destroyed with the last holder; mqueue mounts across unshare and in a user namespace" {
	measure --observe probe-lifetime --observe probe-mqueue-fs
}

# The limits on IPC namespaces and what they share: max_ipc_namespaces, and
# the RLIMIT_MSGQUEUE budget across IPC namespaces of one user, in a user
# namespace of its own. (Churning thousands of namespaces is tools/stress.sh.)
@test "limits: max_ipc_namespaces gives ENOSPC; RLIMIT_MSGQUEUE is spent per user across IPC namespaces" {
	measure --observe probe-limits
}

# What util-linux's tools show across IPC namespaces (the seed note's terminal
# session).
@test "tools: ipcmk, ipcs, lsipc, nsenter, lsns, ipcrm; a namespace kept by a bind mount" {
	measure --observe probe-util-linux
}
