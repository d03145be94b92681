#!/usr/bin/env bats
# Contract tests of probe-churn and tools/stress.sh: usage, the shape of what
# they print, that they fail and skip honestly, and that a run leaves the host
# as it found it. Meson runs this as
#   IPCNS_SRC=<source> IPCNS_PROBES=<build>/probes bats --tap tests/stress.bats
#
# Other tests may make and remove host objects meanwhile, so the host's state
# is compared only where it could be this run's: the key and name it prints,
# and processes carrying this test's mark.

load helpers

NOBODY=65534

setup_file() {
	export IPCNS_SRC=${IPCNS_SRC:-$BATS_TEST_DIRNAME/..}
	export IPCNS_PROBES=${IPCNS_PROBES:-$IPCNS_SRC/build/probes}
	unset IPCNS_TIMEOUT
}

setup() {
	P=$IPCNS_PROBES/probe-churn
	STRESS=$IPCNS_SRC/tools/stress.sh
	[[ -x $P ]] || fail "no probe-churn in IPCNS_PROBES=$IPCNS_PROBES (build first)"
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

# ---- probe-churn: usage ------------------------------------------------------

@test "probe-churn: -h and --help print usage on stdout and exit 0" {
	local opt
	for opt in -h --help; do
		run -0 --separate-stderr "$P" "$opt"
		assert_output --partial "usage: probe-churn"
		[[ -z $stderr ]] || fail "$opt wrote to stderr: $stderr"
	done
}

@test "probe-churn: missing, unknown, out-of-range or extra arguments are usage errors" {
	expect_usage "$P"
	expect_usage "$P" nosuch
	expect_usage "$P" --bogus limits
	expect_usage "$P" limits extra
	expect_usage "$P" churn
	expect_usage "$P" churn 0
	expect_usage "$P" churn 1000001
	expect_usage "$P" churn 1e3
	expect_usage "$P" churn -5
	expect_usage "$P" churn 5 0
	expect_usage "$P" churn 5 3601
	expect_usage "$P" churn 5 10 1
	expect_usage "$P" churn 5 10 4097
	expect_usage "$P" churn 5 10 4 extra
	expect_usage "$P" -t
	expect_usage "$P" -t 0 limits
	expect_usage "$P" -t 3601 limits
	IPCNS_TIMEOUT=soon expect_usage "$P" limits
}

# ---- probe-churn: what it measures -------------------------------------------

@test "probe-churn churn: every namespace made and checked, the count back, nothing on the host" {
	local before
	before=$(host_state)
	marked "$P" churn 20 10
	assert_line --regexp '^CHURN made=20 asked=20 seconds=[0-9.]+ per_second=[0-9]+ enospc=[0-9]+ retries=[0-9]+ limit=none mq=(yes|no) stopped=no$'
	assert_line --regexp '^HEADROOM held=7 limit=8 extra=ENOSPC waited_ms=[0-9]+ retries=[0-9]+$'
	assert_line --regexp '^HOST checked=20 visible=0 key=-?[0-9]+ name=/ipcns-churn-[0-9]+$'
	[[ $output =~ key=(-?[0-9]+)\ name=(/[^ ]+) ]] || fail "no key and name: $output"
	assert_nothing_of "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
	[[ $(host_state) == "$before" ]] || fail "host state changed:"$'\n'"$before"$'\n---\n'"$(host_state)"
}

@test "probe-churn churn under a tight max_ipc_namespaces: all made, ENOSPC retried and counted" {
	marked "$P" churn 10 20 3
	assert_line --regexp '^CHURN made=10 asked=10 .* enospc=[0-9]+ retries=[0-9]+ limit=3 '
}

@test "probe-churn churn: stopped by its time bound, it says so and passes" {
	marked "$P" churn 1000000 1
	assert_line --regexp '^CHURN made=[0-9]+ asked=1000000 .* stopped=time$'
}

@test "probe-churn limits: two cells in a user namespace of its own, either way a word" {
	local problems
	marked "$P" limits
	problems=$(awk -F'\t' '
		{ i++ }
		NF != 7 || $1 != "OBSERVE" { print "not 7 fields: " $0; next }
		i == 1 && $2 " " $3 != "ipc-ns max-ipc-namespaces" { print "line 1: " $0 }
		i == 2 && $2 " " $3 != "posix-mq rlimit-msgqueue-shared" { print "line 2: " $0 }
		$4 != "clone" || $5 != "ipc+user" { print "entry, namespaces: " $0 }
		$6 !~ /^[a-z-]+$/ || $7 == "" { print "observed: " $0 }
		END { if (i != 2) print i " lines" }' <<<"$output")
	[[ -z $problems ]] || fail "$problems"$'\n'"output: $output"
	# the controls ran: the limit was met, and the budget freed by removal
	assert_output --partial "its own IPC namespace and 2 more were made"
	assert_output --partial "the control"
}

@test "probe-churn: as an ordinary user, the same cells" {
	(( EUID == 0 )) || skip "runs as uid $NOBODY from root"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups test -x "$P" ||
		skip "uid $NOBODY cannot run $P"
	marked setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$P" limits
	assert_line --regexp $'^OBSERVE\tipc-ns\tmax-ipc-namespaces\tclone\tipc\\+user\t[a-z-]+\t'
	assert_line --regexp $'^OBSERVE\tposix-mq\trlimit-msgqueue-shared\tclone\tipc\\+user\t[a-z-]+\t'
}

@test "probe-churn: without user namespaces, the cells are skips naming the errno, churn exits 4" {
	: "${FAKE_KERNEL:=${IPCNS_PROBES%/probes}/tests/fake-kernel}"
	[[ -x $FAKE_KERNEL ]] || skip "fake-kernel is not built"
	marked "$FAKE_KERNEL" --no-userns -- "$P" limits
	assert_line --regexp $'^OBSERVE\tipc-ns\tmax-ipc-namespaces\tclone\tipc\\+user\tskip\t.*EPERM'
	assert_line --regexp $'^OBSERVE\tposix-mq\trlimit-msgqueue-shared\tclone\tipc\\+user\tskip\t.*EPERM'
	marked -4 "$FAKE_KERNEL" --no-userns -- "$P" churn 5
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
	assert_line --regexp '^stress: probe-churn: 50 of 50 IPC namespaces in [0-9.]+ s: [0-9]+ per second'
	assert_line --regexp '^stress: unshare .*--ipc true: [0-9]+ of 50 IPC namespaces in [0-9.]+ s: [0-9]+ per second'
	assert_line --regexp '^stress: ENOSPC: [0-9]+ namespaces needed a retry'
	assert_line --regexp '^stress: count of IPC namespaces back: 7 fit under max_ipc_namespaces=8 .* ENOSPC'
	assert_line "stress: host: looked for the objects of 50 live namespaces: seen 0 times"
	assert_line --partial "stress: PASS"
	[[ $(host_state) == "$before" ]] || fail "host state changed:"$'\n'"$before"$'\n---\n'"$(host_state)"
}

@test "stress.sh: a probe that fails is a failure, one that cannot run is exit 3" {
	local stub=$BATS_TEST_TMPDIR/probes
	mkdir -p "$stub"
	ln -s "$IPCNS_PROBES/ipcns" "$stub/ipcns"
	printf '#!/bin/sh\necho "probe-churn: namespace 1 of 1 failed" >&2\nexit 3\n' >"$stub/probe-churn"
	chmod +x "$stub/probe-churn"
	IPCNS_PROBES=$stub marked -1 "$STRESS" --namespaces 1 --seconds 5
	assert_line --partial "stress: FAIL: probe-churn exited 3: probe-churn: namespace 1 of 1 failed"
	printf '#!/bin/sh\necho "probe-churn: cannot make a user namespace: EPERM" >&2\nexit 4\n' >"$stub/probe-churn"
	IPCNS_PROBES=$stub marked -3 "$STRESS" --namespaces 1 --seconds 5
	assert_stderr_has "cannot run: probe-churn: cannot make a user namespace: EPERM"
	IPCNS_PROBES=$BATS_TEST_TMPDIR/none marked -3 "$STRESS" --namespaces 1
	assert_stderr_has "no probe-churn in"
}

@test "stress.sh: a failing unshare in the comparison is a failure" {
	local bin=$BATS_TEST_TMPDIR/bin
	mkdir -p "$bin"
	printf '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n' >"$bin/unshare"
	chmod +x "$bin/unshare"
	PATH=$bin:$PATH marked -1 "$STRESS" --namespaces 3 --seconds 5
	assert_line --regexp '^stress: FAIL: unshare .*failed after 0 namespaces \(exit 1\): unshare: unshare failed'
}
