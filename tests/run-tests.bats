#!/usr/bin/env bats
# The main job end to end: a full run, an ordinary user's run, two runs at
# once, and a run stopped half way. Each must leave the host as it found it.
# Meson runs this file alone (is_parallel: false): it compares the host's IPC
# state before and after, which other tests would disturb.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load user-copy

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
: "${IPCNS_BUILD:=$IPCNS_SRC/build}"

run_suite() {
	"$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" "$@"
}

# SysV keys, /dev/shm entries and live probe processes: what a run may not
# leave behind.
host_state() {
	local k p
	for k in msg sem shm; do
		awk -v k="$k" 'NR > 1 { print k, $1 }' "/proc/sysvipc/$k"
	done
	ls -A /dev/shm
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in
			"$IPCNS_BUILD"/probes/* | "${USER_BUILD:-$IPCNS_BUILD}"/probes/*) echo "process ${p#/proc/}" ;;
		esac
	done
}

cells_json() {
	jq -r "$1" "$2/results.json"
}

# assert_whole_run DIR PRIVILEGE NAMESPACES: DIR's record is schema 2, of
# PRIVILEGE, with at least 120 cells in namespaces starting NAMESPACES, and
# not one failed; its KTAP is well-formed, and so is its JSON, where
# python3-jsonschema can tell.
assert_whole_run() {
	local schema privilege cells failed
	run -0 cells_json "[.schema, .privilege, ([.cells[] | select(.namespaces | startswith(\"$3\"))] | length),
		([.cells[] | select(.verdict == \"fail\" or .verdict == \"broken\")] | length)] | @tsv" "$1"
	IFS=$'\t' read -r schema privilege cells failed <<<"$output"
	assert_equal "$schema" 2
	assert_equal "$privilege" "$2"
	assert [ "$cells" -ge 120 ]
	assert_equal "$failed" 0
	run -0 python3 "$BATS_TEST_DIRNAME/ktap_check.py" "$1/results.ktap"
	run python3 "$BATS_TEST_DIRNAME/schema_check.py" "$1/results.json"
	[ "$status" = 0 ] || [ "$status" = 77 ] || fail "$output"
}

setup() {
	command -v jq >/dev/null || skip "jq is not installed"
	[ -x "$IPCNS_BUILD/probes/ipcns" ] || skip "no probes built in $IPCNS_BUILD"
	BEFORE=$(host_state)
}

teardown() {
	[ -n "${SHARED_DIR:-}" ] && rm -rf "$SHARED_DIR"
	user_copy_remove
}

@test "a full run passes, writes the record, and leaves nothing behind" {
	[ "$(id -u)" = 0 ] || skip "the full matrix needs root"
	run -0 run_suite --output "$BATS_TEST_TMPDIR/out"
	assert_output --partial "0 fail"
	for f in RESULTS.md results.json junit.xml results.ktap cells.jsonl; do
		assert [ -s "$BATS_TEST_TMPDIR/out/$f" ]
	done
	assert_whole_run "$BATS_TEST_TMPDIR/out" root ipc
	assert_equal "$(host_state)" "$BEFORE"
}

@test "an ordinary user's run passes inside user-namespace-owned IPC namespaces" {
	[ "$(id -u)" = 0 ] || skip "needs root to become another user"
	# The user may not be able to read the checkout (under /root, say).
	user_copy
	as_user "$USER_BUILD/probes/ipcns" --user -- true || skip "unprivileged user namespaces are not available here"
	SHARED_DIR=$(mktemp -d /tmp/ipcns-rootless.XXXXXX)
	chown "$NOBODY" "$SHARED_DIR"
	run -0 as_user "$USER_SRC/run-tests.sh" --no-install --build "$USER_BUILD" --output "$SHARED_DIR"
	assert_whole_run "$SHARED_DIR" rootless ipc+user
	assert_equal "$(host_state)" "$BEFORE"
}

@test "two runs at the same time both pass" {
	[ "$(id -u)" = 0 ] || skip "the full matrix needs root"
	run_suite --output "$BATS_TEST_TMPDIR/a" >"$BATS_TEST_TMPDIR/a.log" 2>&1 3>&- &
	local a=$!
	run_suite --output "$BATS_TEST_TMPDIR/b" >"$BATS_TEST_TMPDIR/b.log" 2>&1 3>&- &
	local b=$!
	local rc_a=0 rc_b=0
	wait "$a" || rc_a=$?
	wait "$b" || rc_b=$?
	# On failure, what each run said.
	[ "$rc_a$rc_b" = 00 ] || fail "$(printf 'run %s: exit %s\n' a "$rc_a" b "$rc_b"; grep -hv '^ok ' "$BATS_TEST_TMPDIR/a.log" "$BATS_TEST_TMPDIR/b.log")"
	assert_equal "$(host_state)" "$BEFORE"
}

# stop_after SIGNAL N: start a run, send it SIGNAL after its Nth test, and
# expect exit 3 (the run broke: its record is partial), the interruption
# noted, and the host as it was.
stop_after() {
	local tap=$BATS_TEST_TMPDIR/tap$2 line seen=0 rc=0
	mkfifo "$tap"
	# A background job of a non-interactive shell starts with SIGINT ignored,
	# which no trap can undo; a terminal's Ctrl-C finds it at its default.
	env --default-signal=INT "$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" \
		--output "$BATS_TEST_TMPDIR/out$2" >"$tap" 2>"$BATS_TEST_TMPDIR/err$2" 3>&- &
	local pid=$!
	exec 4<"$tap"
	while [ "$seen" -lt "$2" ] && IFS= read -r -t 60 line <&4; do
		case $line in ok* | "not ok"*) seen=$((seen + 1)) ;; esac
	done
	assert_equal "$seen" "$2"
	kill "-$1" "$pid"
	timeout 60 cat <&4 >/dev/null
	exec 4<&-
	wait "$pid" || rc=$?
	assert_equal "SIG$1 after $2 tests: exit $rc" "SIG$1 after $2 tests: exit 3"
	run -0 grep -c "interrupted by SIG$1" "$BATS_TEST_TMPDIR/err$2"
	assert_equal "$(host_state)" "$BEFORE"
}

@test "SIGINT after the first test, SIGTERM after the 4th and the 7th: exit 3, the host as it was" {
	stop_after INT 1
	stop_after TERM 4
	stop_after TERM 7
}

@test "bad options are refused with the usage exit code" {
	run -2 "$IPCNS_SRC/run-tests.sh" --bogus
	assert_output --partial "usage:"
	run -2 "$IPCNS_SRC/run-tests.sh" --output
	run -2 "$IPCNS_SRC/run-tests.sh" --output ""
	run -2 "$IPCNS_SRC/run-tests.sh" --self-test --filter x
	run -0 "$IPCNS_SRC/run-tests.sh" --help
	assert_output --partial "0 every cell as"
}

@test "a kernel that deviates from the expectations fails the run, and the record says where" {
	[ "$(id -u)" = 0 ] || skip "the full matrix needs root"
	# The same measurements against an expectation this kernel cannot meet.
	mkdir "$BATS_TEST_TMPDIR/fixtures"
	cp "$IPCNS_SRC"/fixtures/*.tsv "$BATS_TEST_TMPDIR/fixtures/"
	sed -i '/^sysv-\*.*@(host-to-ns/s/ isolated / shared   /' "$BATS_TEST_TMPDIR/fixtures/probe-named.tsv"
	run -0 grep -c '^sysv-\*.*@(host-to-ns.* shared ' "$BATS_TEST_TMPDIR/fixtures/probe-named.tsv"
	assert_output 1
	run -1 env IPCNS_FIXTURES="$BATS_TEST_TMPDIR/fixtures" "$IPCNS_SRC/run-tests.sh" --no-install \
		--build "$IPCNS_BUILD" --output "$BATS_TEST_TMPDIR/out" --filter '^named'
	assert_output --partial "21 fail"
	run -0 cells_json '[.cells[] | select(.verdict == "fail") | .observed] | unique | @tsv' "$BATS_TEST_TMPDIR/out"
	assert_output isolated
	run -0 grep -c "expected shared" "$BATS_TEST_TMPDIR/out/RESULTS.md"
	assert_equal "$(host_state)" "$BEFORE"
}

@test "a read-only source tree runs with --output, and builds outside the tree" {
	[ "$(id -u)" = 0 ] || skip "needs root to make a read-only bind mount"
	local ro=$BATS_TEST_TMPDIR/ro
	mkdir "$ro"
	# A private mount namespace: the read-only view never reaches the host.
	run -0 unshare --mount --propagation private sh -c '
		mount --bind "$1" "$2" && mount -o remount,ro,bind "$2" &&
		{ "$2/run-tests.sh" --no-install; echo "without --output: $?"; } &&
		TMPDIR="$3" "$2/run-tests.sh" --no-install --output "$3/out" --filter "^named"' \
		sh "$IPCNS_SRC" "$ro" "$BATS_TEST_TMPDIR"
	assert_output --partial "the source tree is read-only: pass --output DIR"
	assert_output --partial "without --output: 2"
	assert_output --partial "90 cells: 90 pass"
	assert [ -x "$(echo "$BATS_TEST_TMPDIR"/ipcns-build-0-*/probes/ipcns)" ]
	assert [ -s "$BATS_TEST_TMPDIR/out/results.json" ]
}

@test "a run killed by SIGKILL half way: its suite stops in order, the next run clears the rest" {
	local tap=$BATS_TEST_TMPDIR/tap line seen=0 stale
	export TMPDIR=$BATS_TEST_TMPDIR/t
	mkdir "$TMPDIR" && mkfifo "$tap"
	"$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" --output "$BATS_TEST_TMPDIR/out" \
		>"$tap" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$!
	exec 4<"$tap"
	while [ "$seen" -lt 4 ] && IFS= read -r -t 60 line <&4; do
		case $line in ok* | "not ok"*) seen=$((seen + 1)) ;; esac
	done
	assert_equal "$seen" 4
	kill -KILL "$pid"
	# The suite learns of it (the reaper's parent-death signal) and stops; the
	# FIFO closes once the last of it is gone.
	timeout 60 cat <&4 >/dev/null
	exec 4<&-
	wait "$pid" || true
	assert_equal "$(host_state)" "$BEFORE"
	stale=$(echo "$TMPDIR"/ipcns-run.*)
	assert [ -f "$stale/owner" ]
	run -0 "$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" --output "$BATS_TEST_TMPDIR/out2" --filter '^inherited'
	assert_output --partial "cleared the directory of a run killed earlier ($stale)"
	assert [ ! -e "$stale" ]
}
