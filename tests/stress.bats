#!/usr/bin/env bats
# Contract tests of the stress tool: tools/churn (built from tools/churn.c)
# and tools/stress.sh: usage, the shape of what they print, that they fail
# and skip honestly, and that a run leaves the host as it found it. Meson
# runs this as
#   IPCNS_SRC=<source> IPCNS_PROBES=<build>/probes IPCNS_CHURN=<build>/tools/churn \
#   bats --tap tests/stress.bats
# (probe-limits, which measures the suite's two cells of limits, is tested
# in tests/probe-lifetime.bats.)
#
# Other tests may make and remove host objects meanwhile, so the host's state
# is compared only where it could be this run's: the key and name it prints,
# and processes carrying this test's mark.

load helpers

NOBODY=65534

setup_file() {
	export IPCNS_SRC=${IPCNS_SRC:-$BATS_TEST_DIRNAME/..}
	export IPCNS_PROBES=${IPCNS_PROBES:-$IPCNS_SRC/build/probes}
	export IPCNS_CHURN=${IPCNS_CHURN:-${IPCNS_PROBES%/probes}/tools/churn}
	unset IPCNS_TIMEOUT
}

setup() {
	C=$IPCNS_CHURN
	STRESS=$IPCNS_SRC/tools/stress.sh
	[[ -x $C ]] || fail "no churn at IPCNS_CHURN=$IPCNS_CHURN (build first)"
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
	MARK=IPCNS_STRESS_TEST=$$-$BATS_TEST_NUMBER
}

# ---- helpers ---------------------------------------------------------------

# marked [-N] CMD...: runs CMD (bounded) with the mark in its environment,
# expecting exit N.
marked() {
	local rc=0
	[[ $1 == -* ]] && rc=${1#-} && shift
	run "-$rc" --separate-stderr timeout 60 env "$MARK" "$@"
}

# What a run could leave behind: files under our TMPDIR, live processes with
# our mark (a zombie's environ reads empty), and the host's limit.
host_state() {
	ls -A "$TMPDIR"
	grep -lzxF "$MARK" /proc/[0-9]*/environ 2>/dev/null || true
	cat /proc/sys/user/max_ipc_namespaces
}

# The objects of the key and name a churn printed must not be on the host.
assert_nothing_of() {
	local key=$1 name=$2 k
	for k in msg sem shm; do
		! awk -v key="$key" 'NR > 1 && $1 == key { found = 1 } END { exit !found }' \
			"/proc/sysvipc/$k" || fail "a SysV $k object of key $key is on the host"
	done
	[[ ! -e /dev/shm/${name#/} ]] || fail "/dev/shm/${name#/} is on the host"
	[[ ! -e /dev/mqueue/${name#/} ]] || fail "/dev/mqueue/${name#/} is on the host"
}

# ---- churn: usage ------------------------------------------------------------

@test "churn: -h and --help print usage on stdout and exit 0" {
	assert_help "$C"
}

@test "churn: missing, malformed, out-of-range or extra arguments are usage errors" {
	expect_usage "$C"
	expect_usage "$C" nosuch
	expect_usage "$C" --bogus 5
	expect_usage "$C" 0
	expect_usage "$C" 1000001
	expect_usage "$C" 99999999999999999999
	expect_usage "$C" 1e3
	expect_usage "$C" -5
	expect_usage "$C" ""
	expect_usage "$C" " 1"
	expect_usage "$C" 5 0
	expect_usage "$C" 5 3601
	expect_usage "$C" 5 10 1
	expect_usage "$C" 5 10 4097
	expect_usage "$C" 5 10 4 extra
	expect_usage "$C" -t
	expect_usage "$C" -t 0 5
	expect_usage "$C" -t 3601 5
	IPCNS_TIMEOUT=soon expect_usage "$C" 5
}

# ---- churn: what it does -------------------------------------------------------

@test "churn: every namespace made and checked, the count back, nothing on the host" {
	local before
	before=$(host_state)
	marked "$C" 20 10
	assert_line --regexp '^CHURN made=20 asked=20 seconds=[0-9.]+ per_second=[0-9]+ enospc=[0-9]+ retries=[0-9]+ limit=none mq=(yes|no) stopped=no$'
	assert_line --regexp '^HEADROOM held=7 limit=8 extra=ENOSPC waited_ms=[0-9]+ retries=[0-9]+$'
	assert_line --regexp '^HOST checked=20 visible=0 key=-?[0-9]+ name=/ipcns-churn-[0-9]+$'
	[[ $output =~ key=(-?[0-9]+)\ name=(/[^ ]+) ]] || fail "no key and name: $output"
	assert_nothing_of "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	[[ $(host_state) == "$before" ]] || fail "host state changed:"$'\n'"$before"$'\n---\n'"$(host_state)"
}

@test "churn under a tight max_ipc_namespaces: all made, ENOSPC retried and counted" {
	marked "$C" 10 20 3
	assert_line --regexp '^CHURN made=10 asked=10 .* enospc=[0-9]+ retries=[0-9]+ limit=3 '
}

@test "churn: stopped by its time bound, it says so and passes" {
	marked "$C" 1000000 1
	assert_line --regexp '^CHURN made=[0-9]+ asked=1000000 .* stopped=time$'
}

@test "churn: as an ordinary user, the same" {
	(( EUID == 0 )) || skip "runs as uid $NOBODY from root"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	nobody_path "$C" || skip "uid $NOBODY cannot run $C, nor a copy"
	marked setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$NOBODY_PATH" 10 10
	assert_line --regexp '^CHURN made=10 asked=10 .* stopped=no$'
	assert_line --regexp '^HOST checked=10 visible=0 '
}

@test "churn: without user namespaces it exits 4, naming the errno" {
	: "${FAKE_KERNEL:=${IPCNS_PROBES%/probes}/tests/fake-kernel}"
	[[ -x $FAKE_KERNEL ]] || skip "fake-kernel is not built"
	marked -4 "$FAKE_KERNEL" --no-userns -- "$C" 5
	assert_stderr_has "EPERM"
}

# ---- tools/stress.sh -----------------------------------------------------------

@test "stress.sh: --help prints usage and exits 0; bad arguments are usage errors" {
	run -0 --separate-stderr "$STRESS" --help
	assert_output --partial "usage: tools/stress.sh"
	expect_usage "$STRESS" --bogus
	expect_usage "$STRESS" extra
	expect_usage "$STRESS" --namespaces
	expect_usage "$STRESS" --namespaces ""
	expect_usage "$STRESS" --namespaces 0
	expect_usage "$STRESS" --namespaces 1000001
	expect_usage "$STRESS" --namespaces 99999999999999999999
	expect_usage "$STRESS" --namespaces 1e3
	expect_usage "$STRESS" --namespaces -5
	expect_usage "$STRESS" --seconds 0
	expect_usage "$STRESS" --seconds 3001
	expect_usage "$STRESS" --seconds " 1"
	expect_usage "$STRESS" --build
}

@test "stress.sh: a small bounded run passes, prints both rates, leaves the host as it was" {
	local before
	before=$(host_state)
	marked "$STRESS" --namespaces 50 --seconds 10
	assert_line --regexp '^stress: churn: 50 of 50 IPC namespaces in [0-9.]+ s: [0-9]+ per second'
	assert_line --regexp '^stress: unshare .*--ipc true: [0-9]+ of 50 IPC namespaces in [0-9.]+ s: [0-9]+ per second'
	assert_line --regexp '^stress: ENOSPC: [0-9]+ namespaces needed a retry'
	assert_line --regexp '^stress: count of IPC namespaces back: 7 fit under max_ipc_namespaces=8 .* ENOSPC'
	assert_line "stress: host: looked for the objects of 50 live namespaces: seen 0 times"
	assert_line --partial "stress: PASS"
	[[ $(host_state) == "$before" ]] || fail "host state changed:"$'\n'"$before"$'\n---\n'"$(host_state)"
}

@test "stress.sh: a churn that fails is a failure, one that cannot run is exit 3" {
	local stub=$BATS_TEST_TMPDIR/churn
	printf '#!/bin/sh\necho "churn: namespace 1 of 1 failed" >&2\nexit 3\n' >"$stub"
	chmod +x "$stub"
	IPCNS_CHURN=$stub marked -1 "$STRESS" --namespaces 1 --seconds 5
	assert_line --partial "stress: FAIL: churn exited 3: churn: namespace 1 of 1 failed"
	printf '#!/bin/sh\necho "churn: cannot make a user namespace: EPERM" >&2\nexit 4\n' >"$stub"
	IPCNS_CHURN=$stub marked -3 "$STRESS" --namespaces 1 --seconds 5
	assert_stderr_has "cannot run: churn: cannot make a user namespace: EPERM"
	IPCNS_CHURN=$BATS_TEST_TMPDIR/none marked -3 "$STRESS" --namespaces 1
	assert_stderr_has "no churn at"
	IPCNS_PROBES=$BATS_TEST_TMPDIR/none marked -3 "$STRESS" --namespaces 1
	assert_stderr_has "no ipcns in"
}

@test "stress.sh: a failing unshare in the comparison is a failure" {
	local bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bin"
	printf '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n' >"$bin/unshare"
	chmod +x "$bin/unshare"
	PATH=$bin:$PATH marked -1 "$STRESS" --namespaces 3 --seconds 5
	assert_line --regexp '^stress: FAIL: unshare .*failed after 0 namespaces \(exit 1\): unshare: unshare failed'
}
