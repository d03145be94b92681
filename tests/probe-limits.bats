#!/usr/bin/env bats
# Contract tests of probe-limits: usage, its two cells in a user namespace of
# its own, either way a word, as root and as an ordinary user, skips naming
# the errno without user namespaces, and the host's max_ipc_namespaces left
# as it was. Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-limits.bats

load helpers
load cells

setup_file() {
	cells_setup_file
}

setup() {
	cells_setup probe-limits
	L=$IPCNS_PROBES/probe-limits
}

CELLS="ipc-ns max-ipc-namespaces clone ipc+user; posix-mq rlimit-msgqueue-shared clone ipc+user"

@test "probe-limits: -h and --help print usage on stdout; bad arguments are usage errors" {
	assert_help "$L"
	expect_usage "$L" limits
	expect_usage "$L" -t
	expect_usage "$L" -t 0
	expect_usage "$L" -t 3601
	expect_usage "$L" -t 5 extra
	IPCNS_TIMEOUT=soon expect_usage "$L"
}

@test "probe-limits: two cells in a user namespace of its own, either way a word; the host's limit as it was" {
	local before
	before=$(cat /proc/sys/user/max_ipc_namespaces; host_state)
	marked "$L"
	assert_success
	assert_cells "$CELLS" "enospc exceeded shared isolated"
	# the controls ran: the limit was met, and the budget freed by removal
	assert_output --partial "its own IPC namespace and 2 more were made"
	assert_output --partial "the control"
	[[ $(cat /proc/sys/user/max_ipc_namespaces; host_state) == "$before" ]] || fail "the host changed"
}

@test "probe-limits as an ordinary user: the same cells" {
	as_nobody "$L"
	assert_success
	assert_cells "$CELLS" "enospc exceeded shared isolated"
}

@test "probe-limits without user namespaces: the cells are skips naming the errno" {
	[[ -x $FAKE_KERNEL ]] || skip "fake-kernel is not built"
	marked "$FAKE_KERNEL" --no-userns -- "$L"
	assert_success
	assert_cells "$CELLS" "skip"
	[[ $(grep -c $'\tskip\t.*EPERM' <<<"$output") == 2 ]] || fail "$output"
}

@test "probe-limits without POSIX queues: the budget cell skips naming CONFIG_POSIX_MQUEUE, the limit is measured" {
	[[ -x $FAKE_KERNEL ]] || skip "fake-kernel is not built"
	marked "$FAKE_KERNEL" --no-mqueue -- "$L"
	assert_success
	[[ $(observed max-ipc-namespaces) == enospc ]] || fail "$output"
	[[ $(observed rlimit-msgqueue-shared) == skip ]] || fail "$output"
	assert_output --partial "CONFIG_POSIX_MQUEUE is off"
}
