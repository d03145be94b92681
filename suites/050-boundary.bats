#!/usr/bin/env bats
# What happens at the boundary of an IPC namespace: SEM_UNDO when a process
# crosses it, handles made before unshare, SysV ids from the other side, and
# what nsfs says of a namespace. A probe a topic measures its cells in one
# process, inside a namespace it makes; expectations: fixtures/PROBE.tsv.

load helpers

@test "sem-undo: SEM_UNDO at unshare and setns; CLONE_NEWIPC with CLONE_SYSVSEM" { measure --observe probe-sem-undo; }
@test "handles: shm mappings and ids, mqueue fds and names across unshare; shm_rmid_forced" { measure --observe probe-shm-handles; }
@test "ids: ids restart, host ids and /proc/sysvipc seen from a new namespace" { measure --observe probe-sysv-ids; }
@test "identity: the namespace's inode after unshare and setns; nsfs ioctls" { measure --observe probe-nsfs-identity; }
