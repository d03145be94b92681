#!/usr/bin/env bats
# An audit (./run-tests.sh --against PID, --container NAME): which IPC
# channels a running process and this side (the host, or --peer's process)
# reach of each other's, both ways, measured by probe-reach from inside the
# target's namespaces. Judged against fixtures/probe-reach.tsv (records only)
# or the policy --expect gave. Not part of the kernel's suite: run-tests.sh
# runs this directory only for an audit.

load ../helpers

@test "audit: what the target and this side reach of each other's IPC objects" {
	[ -n "${IPCNS_TARGET:-}" ] || skip "no target: run it through ./run-tests.sh --against PID"
	# probe-reach pins the target by a pidfd; run-tests.sh compares its start
	# time before and after the run.
	measure --observe probe-reach --target "$IPCNS_TARGET" ${IPCNS_PEER:+--peer "$IPCNS_PEER"}
}
