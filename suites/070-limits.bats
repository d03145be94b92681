#!/usr/bin/env bats
# The limits on IPC namespaces and what they share: max_ipc_namespaces, and
# the RLIMIT_MSGQUEUE budget across IPC namespaces of one user. probe-limits
# measures both in a user namespace of its own; expectations:
# fixtures/probe-limits.tsv. (Churning thousands of namespaces is tools/stress.sh.)

load helpers

@test "limits: max_ipc_namespaces gives ENOSPC; RLIMIT_MSGQUEUE is spent per user across IPC namespaces" { measure --observe probe-limits; }
