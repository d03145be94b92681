#!/usr/bin/env bats
# Contract tests of the probe binaries: exit codes, usage, each mechanism's
# life cycle, and the launcher ipcns. Meson runs this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probes.bats
#
# Every object is named after this run and test; teardown removes what a
# test made and ends what it started, even when the test failed.
#
# Parsers are covered case by case in test-probe-lib.c; here one or two
# cases per rule show that each binary applies it.


# At file level rather than in setup(): loading costs ~25 ms a test here.
load helpers
load user-copy

BINARIES=(ipcns probe-sysv probe-posix probe-endpoint probe-inherit)
INHERIT_MECHS=(pipe socketpair eventfd memfd posix-sem-unnamed signal)

# ---- helpers ---------------------------------------------------------------

require_root() {
	(( EUID == 0 )) || skip "needs root: $*"
}

# Stricter than kill -0: a zombie has ended (and closed its fds). Orphans
# here are reaped by a slow PID 1, so kill -0 alone would see them linger.
pid_alive() {
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != [ZX] ]]
}

# Waits at most $2 seconds for process $1 (not our child) to end. pidwait
# sleeps on a pidfd, so there is no polling; the loop is only a fallback.
wait_gone() {
	local pid=$1 seconds=$2 pidfile="$BATS_TEST_TMPDIR/wait.$1" tries
	pid_alive "$pid" || return 0
	if command -v pidwait >/dev/null; then
		echo "$pid" >"$pidfile"
		timeout "$seconds" pidwait -F "$pidfile" || true
	else
		for ((tries = seconds * 20; tries > 0; tries--)); do
			pid_alive "$pid" || break
			sleep 0.05
		done
	fi
	! pid_alive "$pid"
}

# Records a pid printed by a probe so that teardown ends it. Only a real
# pid: "kill 0" or "kill -1" would hit far more than one process.
track_pid() {
	[[ $1 =~ ^[1-9][0-9]*$ ]] && (( $1 > 1 )) || fail "not a pid: '$1'"
	PIDS_TO_END+=("$1")
}

# Records "BINARY MECH NAME" before it is created, so teardown removes it.
track_object() {
	OBJECTS_TO_REMOVE+=("$*")
}

# bats-assert 2.1 has no assert_stderr.



# EPOCHREALTIME's separator follows the locale: keep only the digits.
now_ms() {
	echo $(( ${EPOCHREALTIME//[!0-9]/} / 1000 ))
}

setup_file() {
	export IPCNS_PROBES=${IPCNS_PROBES:-$BATS_TEST_DIRNAME/../build/probes}
	unset IPCNS_TIMEOUT
	# The lifetime test waits for a holder to outlive its 1 s lifetime;
	# starting it here lets that second pass while the other tests run.
	if (( EUID == 0 )) && [[ -x $IPCNS_PROBES/ipcns ]]; then
		LIFETIME_HOLDER=$("$IPCNS_PROBES/ipcns" --hold --lifetime 1 2>/dev/null) || true
		export LIFETIME_HOLDER
	fi
}

teardown_file() {
	if [[ ${LIFETIME_HOLDER:-} =~ ^[1-9][0-9]*$ ]]; then
		kill -KILL "$LIFETIME_HOLDER" 2>/dev/null || true
	fi
}

setup() {
	P=$IPCNS_PROBES
	[[ -x $P/ipcns ]] || fail "no probes in IPCNS_PROBES=$P (build first)"
	NAME="ptest-$$-$BATS_TEST_NUMBER" # unique per run and per test
	PIDS_TO_END=()
	OBJECTS_TO_REMOVE=()
	HELD_FDS=()
	BACKGROUND_JOBS=()
}

teardown() {
	local pid object binary mech name fd
	for fd in "${HELD_FDS[@]}"; do
		exec {fd}<&-
	done
	for pid in "${PIDS_TO_END[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true # servers unlink their path on TERM
	done
	for object in "${OBJECTS_TO_REMOVE[@]}"; do
		read -r binary mech name <<<"$object"
		"$P/$binary" "$mech" remove "$name" >/dev/null 2>&1 || true
	done
	for pid in "${PIDS_TO_END[@]}"; do
		wait_gone "$pid" 2 || kill -KILL "$pid" 2>/dev/null || true
	done
	# our own children, each bounded by its -t; killing ipcns instead
	# would orphan its command
	for pid in "${BACKGROUND_JOBS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	user_copy_remove
	nobody_copy_remove
}

# ---- help and usage errors -------------------------------------------------

@test "every binary: -h and --help print usage on stdout and exit 0" {
	assert_help "${BINARIES[@]/#/$P/}"
}

@test "every binary: no arguments, or an unknown mechanism or option, is a usage error" {
	local b
	for b in "${BINARIES[@]}"; do
		expect_usage "$P/$b"
	done
	expect_usage "$P/probe-sysv" nosuch get "$NAME"
	expect_usage "$P/probe-posix" msg get "$NAME" # msg is SysV's, not POSIX's
	expect_usage "$P/probe-endpoint" tcp get "$NAME"
	expect_usage "$P/probe-inherit" --entry fork nosuch 1
	expect_usage "$P/probe-inherit" --bogus pipe 1
	expect_usage "$P/ipcns" --bogus -- true
}

@test "named probes: an unknown verb, or missing or extra arguments, is a usage error" {
	expect_usage "$P/probe-sysv" sem fetch "$NAME"
	expect_usage "$P/probe-sysv" sem get
	expect_usage "$P/probe-sysv" sem get "$NAME" extra
	expect_usage "$P/probe-sysv" sem create "$NAME"
	expect_usage "$P/probe-posix" shm put "$NAME"
	expect_usage "$P/probe-posix" shm remove "$NAME" 1
	expect_usage "$P/probe-endpoint" fifo create "$BATS_TEST_TMPDIR/fifo"
	expect_usage "$P/probe-endpoint" -t 5
}

@test "named probes: a bad name is a usage error; 64 characters are fine" {
	local long max
	printf -v long 'n%064d' 0 # 65 characters
	printf -v max 'n%063d' 0  # 64
	expect_usage "$P/probe-sysv" msg get ""
	expect_usage "$P/probe-sysv" msg get /
	expect_usage "$P/probe-sysv" msg get "$long"
	expect_usage "$P/probe-sysv" msg get ..
	expect_usage "$P/probe-posix" mq get a/b
	expect_usage "$P/probe-posix" mq get "$long"
	expect_usage "$P/probe-endpoint" unix-abstract get "$long"
	expect_usage "$P/probe-endpoint" fifo get relative/fifo
	expect_usage "$P/probe-endpoint" unix-path get "/$(printf '%0107d' 0)" # 108 bytes
	run -1 "$P/probe-sysv" msg get "$max"
	run -1 "$P/probe-posix" mq get "$max"
}

@test "named probes: a bad value is a usage error" {
	local v
	for v in -1 32768 1e3 ""; do
		expect_usage "$P/probe-sysv" sem create "$NAME" "$v"
	done
	expect_usage "$P/probe-posix" sem create "$NAME" 32768
	expect_usage "$P/probe-endpoint" unix-abstract create "$NAME" -1
	run -1 "$P/probe-sysv" sem get "$NAME" # and nothing was made
	run -1 "$P/probe-posix" sem get "$NAME"
}

@test "every binary: a bad -t is a usage error" {
	local t
	for t in 0 3601 x; do
		expect_usage "$P/probe-sysv" -t "$t" sem get "$NAME"
		expect_usage "$P/probe-inherit" -t "$t" --entry fork pipe 1
		expect_usage "$P/ipcns" -t "$t" --entry fork -- true
	done
	expect_usage "$P/probe-posix" -t 0 sem get "$NAME"
	expect_usage "$P/probe-endpoint" -t 3601 unix-abstract get "$NAME"
}

@test "every binary: a malformed IPCNS_TIMEOUT is a usage error that says so" {
	local b
	for b in "${BINARIES[@]}"; do
		run -2 --separate-stderr env IPCNS_TIMEOUT=x "$P/$b" sem get "$NAME"
		assert_stderr_has "IPCNS_TIMEOUT"
		assert_stderr_has "usage:"
	done
	run -2 env IPCNS_TIMEOUT=0 "$P/probe-sysv" sem get "$NAME"
	run -2 env IPCNS_TIMEOUT=3601 "$P/probe-sysv" sem get "$NAME"
	run -2 env IPCNS_TIMEOUT= "$P/probe-sysv" sem get "$NAME"
}

@test "probe-endpoint: a verb that does not apply is a usage error" {
	expect_usage "$P/probe-endpoint" fifo put "$BATS_TEST_TMPDIR/fifo" 1
	expect_usage "$P/probe-endpoint" unix-path put "$BATS_TEST_TMPDIR/sock" 1
	expect_usage "$P/probe-endpoint" unix-abstract remove "$NAME"
	expect_usage "$P/probe-endpoint" unix-abstract stat "$NAME"
}

@test "probe-inherit: usage errors" {
	expect_usage "$P/probe-inherit" --entry fork pipe
	expect_usage "$P/probe-inherit" --entry fork pipe 1 2
	expect_usage "$P/probe-inherit" --entry fork pipe 32768
	expect_usage "$P/probe-inherit" --entry nosuch pipe 1
	expect_usage "$P/probe-inherit" --entry setns pipe 1
	expect_usage "$P/probe-inherit" --join 1 pipe 1
	expect_usage "$P/probe-inherit" --entry fork --mnt pipe 1
}

@test "ipcns: usage errors" {
	local pid
	expect_usage "$P/ipcns" --join "$$" --mnt -- true
	expect_usage "$P/ipcns" --join "$$" --entry clone -- true
	expect_usage "$P/ipcns" --entry setns -- true
	expect_usage "$P/ipcns" --entry fork --user -- true
	expect_usage "$P/ipcns" --hold -- true
	expect_usage "$P/ipcns" --hold --entry fork
	expect_usage "$P/ipcns" --lifetime 5 -- true
	expect_usage "$P/ipcns" --hold --lifetime 0
	expect_usage "$P/ipcns" --reap --hold
	expect_usage "$P/ipcns" true
	expect_usage "$P/ipcns" --
	for pid in 0 -1 abc 99999999999; do
		expect_usage "$P/ipcns" --join "$pid" -- true
	done
}

# ---- named objects: the whole life cycle -----------------------------------

# create, get, put, get twice, stat, address, create again (6), remove,
# get (1), remove again (1). $3, if given, is the file the object lives in.
lifecycle() {
	local binary=$1 mech=$2 file=${3:-}
	track_object "$binary" "$mech" "$NAME"
	run -0 "$P/$binary" "$mech" create "$NAME" 4242
	assert_output ""
	[[ -z $file || -f $file ]] || fail "no $file after create"
	run -0 "$P/$binary" "$mech" get "$NAME"
	assert_output 4242
	run -0 "$P/$binary" "$mech" put "$NAME" 32767
	run -0 "$P/$binary" "$mech" get "$NAME"
	assert_output 32767
	run -0 "$P/$binary" "$mech" get "$NAME"
	assert_output 32767
	run -0 "$P/$binary" "$mech" put "$NAME" 0
	run -0 "$P/$binary" "$mech" stat "$NAME"
	STAT=$output
	run -0 "$P/$binary" "$mech" address "$NAME"
	ADDRESS=$output
	run -6 --separate-stderr "$P/$binary" "$mech" create "$NAME" 1
	assert_stderr_has EEXIST
	run -0 "$P/$binary" "$mech" get "$NAME"
	assert_output 0 # and the failed create left the value alone
	run -0 "$P/$binary" "$mech" remove "$NAME"
	[[ -z $file || ! -e $file ]] || fail "$file outlived remove"
	run -1 --separate-stderr "$P/$binary" "$mech" get "$NAME"
	assert_stderr_has ENOENT
	run -1 "$P/$binary" "$mech" remove "$NAME"
}

sysv_lifecycle() {
	local key
	lifecycle probe-sysv "$1"
	printf -v key '0x%08x' "$(fnv1a32 "$NAME")"
	assert_equal "$ADDRESS" "$key"
	assert_regex "$STAT" "^key=$key id=[0-9]+$"
}

@test "probe-sysv msg: create, get, put, stat, address, exists, remove" {
	sysv_lifecycle msg
}

@test "probe-sysv sem: create, get, put, stat, address, exists, remove" {
	sysv_lifecycle sem
}

@test "probe-sysv shm: create, get, put, stat, address, exists, remove" {
	sysv_lifecycle shm
}

@test "probe-posix mq: create, get, put, stat, address, exists, remove" {
	lifecycle probe-posix mq
	assert_equal "$ADDRESS" "/$NAME"
	assert_regex "$STAT" "^name=/$NAME maxmsg=1 "
}

@test "probe-posix sem: create, get, put, stat, address, exists, remove" {
	lifecycle probe-posix sem "/dev/shm/sem.$NAME"
	assert_equal "$ADDRESS" "/$NAME"
	assert_equal "$STAT" "name=/$NAME value=0"
}

@test "probe-posix shm: create, get, put, stat, address, exists, remove" {
	lifecycle probe-posix shm "/dev/shm/$NAME"
	assert_equal "$ADDRESS" "/$NAME"
	assert_regex "$STAT" "^name=/$NAME size=4096 "
}

# ---- endpoints ---------------------------------------------------------------

# create prints the server's pid; teardown ends it.
start_server() {
	run -0 "$P/probe-endpoint" "$@"
	track_pid "$output"
	SERVER=$output
	pid_alive "$SERVER" || fail "server $SERVER is not running"
	assert_equal "$(<"/proc/$SERVER/comm")" probe-endpoint
}

# create, get twice, create again (6), get: still the first server's value.
endpoint_contract() {
	local mech=$1 name=$2
	start_server "$mech" create "$name" 777
	run -0 "$P/probe-endpoint" "$mech" get "$name"
	assert_output 777
	run -0 "$P/probe-endpoint" "$mech" get "$name"
	assert_output 777
	run -6 "$P/probe-endpoint" "$mech" create "$name" 1
	run -0 "$P/probe-endpoint" "$mech" get "$name"
	assert_output 777
}

@test "probe-endpoint fifo: create serves the value to every reader" {
	local fifo=$BATS_TEST_TMPDIR/fifo plain=$BATS_TEST_TMPDIR/plain
	endpoint_contract fifo "$fifo"
	run -0 "$P/probe-endpoint" fifo stat "$fifo"
	assert_output --partial "type=fifo"
	run -0 "$P/probe-endpoint" fifo address "$fifo"
	assert_output "$fifo"
	run -0 "$P/probe-endpoint" fifo remove "$fifo"
	run -1 "$P/probe-endpoint" fifo get "$fifo"
	run -1 "$P/probe-endpoint" fifo remove "$fifo"
	: >"$plain"
	run -3 "$P/probe-endpoint" -t 1 fifo get "$plain" # not a FIFO
}

# "hands VALUE to every reader": also to one that comes while another
# reader (a slow one, or a concurrent get) still has the FIFO open. The
# server then queues whole copies; a reader must take exactly one line (a
# reader taking 15 bytes at once left the next a torn value, and a server
# waiting for each reader to close starved the next one).
@test "probe-endpoint fifo: each reader gets a whole value while another reader waits" {
	local fifo=$BATS_TEST_TMPDIR/fifo held
	start_server fifo create "$fifo" 777
	exec {held}<"$fifo" # does not block: the server is opening it to write
	HELD_FDS+=("$held")
	run -0 "$P/probe-endpoint" -t 1 fifo get "$fifo"
	assert_output 777
	run -0 "$P/probe-endpoint" -t 1 fifo get "$fifo"
	assert_output 777
}

@test "probe-endpoint unix-path: create serves; once the server is killed, get exits 1" {
	local sock=$BATS_TEST_TMPDIR/sock
	endpoint_contract unix-path "$sock"
	run -0 "$P/probe-endpoint" unix-path stat "$sock"
	assert_output --partial "type=socket"
	run -0 "$P/probe-endpoint" unix-path address "$sock"
	assert_output "$sock"
	kill -TERM "$SERVER"
	wait_gone "$SERVER" 2 || fail "server $SERVER survived SIGTERM"
	run -1 "$P/probe-endpoint" unix-path get "$sock"
	assert [ ! -e "$sock" ] # the server unlinks its path on the way out
}

@test "probe-endpoint unix-abstract: create serves; once the server is killed, get exits 1" {
	endpoint_contract unix-abstract "$NAME"
	run -0 "$P/probe-endpoint" unix-abstract address "$NAME"
	assert_output "@$NAME"
	kill -TERM "$SERVER"
	wait_gone "$SERVER" 2 || fail "server $SERVER survived SIGTERM"
	run -1 --separate-stderr "$P/probe-endpoint" unix-abstract get "$NAME"
	assert_stderr_has ECONNREFUSED
}

# Both waits run at once so that the file pays for one second, not two.
@test "bounded waits: a FIFO with no server, and ipcns -t 1 -- sleep 5, exit 5 within -t" {
	local fifo=$BATS_TEST_TMPDIR/fifo start elapsed ipcns_job ipcns_status=skipped
	mkfifo "$fifo"
	start=$(now_ms)
	if (( EUID == 0 )); then
		"$P/ipcns" -t 1 -- sleep 5 >/dev/null 2>&1 3>&- &
		ipcns_job=$!
		BACKGROUND_JOBS+=("$ipcns_job")
	fi
	run -5 "$P/probe-endpoint" -t 1 fifo get "$fifo"
	if [[ -n ${ipcns_job:-} ]]; then
		wait "$ipcns_job" && ipcns_status=0 || ipcns_status=$?
	fi
	elapsed=$(( $(now_ms) - start ))
	(( elapsed >= 900 && elapsed < 2500 )) || fail "took $elapsed ms with -t 1"
	[[ $ipcns_status == 5 || $ipcns_status == skipped ]] ||
		fail "ipcns -t 1 -- sleep 5 exited $ipcns_status, not 5"
}

# ---- inherited channels ----------------------------------------------------

@test "probe-inherit: every channel carries the value with --entry fork" {
	local mech
	for mech in "${INHERIT_MECHS[@]}"; do
		run -0 "$P/probe-inherit" --entry fork "$mech" 321
		assert_output 321
	done
	run -0 "$P/probe-inherit" --entry fork eventfd 0 # 0 is not "empty"
	assert_output 0
}

@test "probe-inherit: every channel carries the value with --entry clone" {
	require_root "clone(CLONE_NEWIPC) needs CAP_SYS_ADMIN"
	local mech
	for mech in "${INHERIT_MECHS[@]}"; do
		run -0 "$P/probe-inherit" --entry clone "$mech" 32767
		assert_output 32767
	done
}

# ---- ipcns -------------------------------------------------------------------

@test "ipcns --entry fork: runs the command where we are, passing its status" {
	run -0 "$P/ipcns" --entry fork -- true
	run -0 "$P/ipcns" --entry fork -- readlink /proc/self/ns/ipc
	assert_output "$(readlink /proc/self/ns/ipc)"
	run -7 "$P/ipcns" --entry fork -- sh -c 'exit 7'
	run -3 --separate-stderr "$P/ipcns" --entry fork -- /nonexistent/command
	assert_stderr_has ENOENT
}

@test "ipcns: the command runs in a new IPC namespace and its status passes through" {
	require_root "a new IPC namespace needs CAP_SYS_ADMIN"
	local entry ours
	ours=$(readlink /proc/self/ns/ipc)
	for entry in clone clone3 unshare; do
		run -0 "$P/ipcns" --entry "$entry" -- readlink /proc/self/ns/ipc
		assert_regex "$output" '^ipc:\[[0-9]+\]$'
		[[ $output != "$ours" ]] || fail "--entry $entry stayed in $ours"
	done
	run -0 "$P/ipcns" -- true
	run -7 "$P/ipcns" -- sh -c 'exit 7'
	run -3 "$P/ipcns" -- /nonexistent/command
}

@test "ipcns --hold: the holder is in another IPC namespace, and --join enters it" {
	require_root "a new IPC namespace needs CAP_SYS_ADMIN"
	local holder theirs
	run -0 "$P/ipcns" --hold
	track_pid "$output"
	holder=$output
	pid_alive "$holder" || fail "holder $holder is not running"
	theirs=$(readlink "/proc/$holder/ns/ipc")
	[[ $theirs != "$(readlink /proc/self/ns/ipc)" ]] || fail "holder shares our namespace"

	run -0 "$P/ipcns" --join "$holder" -- readlink /proc/self/ns/ipc
	assert_output "$theirs"
	run -0 "$P/ipcns" --join "$holder" --entry pidfd -- readlink /proc/self/ns/ipc
	assert_output "$theirs"
	# an object made in there is seen by the next joiner, and not by us;
	# it dies with the namespace, so teardown need not remove it
	run -0 "$P/ipcns" --join "$holder" -- "$P/probe-sysv" msg create "$NAME" 11
	run -0 "$P/ipcns" --join "$holder" -- "$P/probe-sysv" msg get "$NAME"
	assert_output 11
	run -1 "$P/probe-sysv" msg get "$NAME"
}

# The container of issue 10 (podman --uidmap): root inside is uid 100000
# here. With the host's IPC namespace, entering its user namespace first
# left no capability over ours (EPERM); in an IPC namespace of its own, the
# joiner stayed an unmapped uid (mq_open: EOVERFLOW).
@test "ipcns --join: a container's user namespace is entered last, and as its root" {
	require_root "writing another user namespace's id map"
	local ipc entry q
	# Root inside is uid 100000 outside: the probes it runs must be readable
	# by others (the checkout may be under /root).
	nobody_path "$P/probe-posix" || skip "no copy of the probes that others may run"
	q=${NOBODY_PATH%/*}
	for ipc in host own; do
		if [[ $ipc == host ]]; then ns_target "0 100000 65536" --user; else ns_target "0 100000 65536" --user --ipc; fi
		track_pid "$TARGET"
		for entry in setns pidfd; do
			run -0 "$P/ipcns" --join "$TARGET" --entry "$entry" -- sh -c \
				'id -u && "$0"/probe-posix mq create "$1" 7 && "$0"/probe-posix mq get "$1" && readlink /proc/self/ns/ipc' \
				"$q" "$NAME-$ipc-$entry"
			assert_output "0"$'\n'"7"$'\n'"$(readlink "/proc/$TARGET/ns/ipc")"
			if [[ $ipc == host ]]; then # the host's queue: seen here, removed here
				run -0 "$P/probe-posix" mq get "$NAME-$ipc-$entry"
				assert_output 7
				run -0 "$P/probe-posix" mq remove "$NAME-$ipc-$entry"
			else # the container's own: not ours
				run -1 "$P/probe-posix" mq get "$NAME-$ipc-$entry"
			fi
		done
	done
}

@test "ipcns --join: a dead pid is an error" {
	local dead
	dead=$(sh -c 'echo $$') # that shell has exited and been reaped
	run -3 --separate-stderr "$P/ipcns" --join "$dead" -- true
	assert_stderr_has "no such process"
}

@test "ipcns --hold --lifetime 1: the holder ends after its lifetime" {
	require_root "a new IPC namespace needs CAP_SYS_ADMIN"
	# started in setup_file, so most of its second has passed by now
	[[ ${LIFETIME_HOLDER:-} =~ ^[1-9][0-9]*$ ]] || fail "setup_file got no holder pid"
	wait_gone "$LIFETIME_HOLDER" 5 || fail "holder $LIFETIME_HOLDER outlived --lifetime 1"
}

@test "ipcns --reap: nothing the command started outlives it" {
	require_root "a new IPC namespace needs CAP_SYS_ADMIN"
	run -0 --separate-stderr "$P/ipcns" --entry fork --reap -- \
		sh -c '"$IPCNS_PROBES"/ipcns --hold'
	track_pid "$output"
	# ipcns reaped it itself, so not even a zombie is left
	run ! kill -0 "$output"
}

@test "ipcns --user: an unprivileged user gets a namespace, and is root in it" {
	require_root "setpriv needs root to become uid 65534"
	user_probes
	run --separate-stderr as_user "$USER_PROBES/ipcns" --user -- id -u
	if (( status == 4 )); then
		skip "unprivileged user namespaces are disabled: $stderr"
	fi
	assert_success
	assert_output 0
}

@test "ipcns: without --user an unprivileged user is unsupported (4), not an error" {
	require_root "setpriv needs root to become uid 65534"
	user_probes
	run -4 --separate-stderr as_user "$USER_PROBES/ipcns" -- true
	assert_stderr_has EPERM
	run -4 as_user "$USER_PROBES/probe-inherit" --entry clone pipe 1
}
