#!/usr/bin/env bats
# Contract tests of probe-reach, the audit of a running process: targets
# made with ipcns --hold and unshare(1) stand in for containers, so that each
# verdict is seen in both directions and each kind of namespace changes what
# it should; bad input; nothing left on the host or in the target. Meson runs
# this as
#   IPCNS_PROBES=<build>/probes bats --tap tests/probe-reach.bats

load helpers
load cells

setup_file() {
	cells_setup_file
}

setup() {
	cells_setup probe-reach
	R=$IPCNS_PROBES/probe-reach
	NS_TARGETS=()
	export IPCNS_NAMES=$BATS_TEST_TMPDIR/names IPCNS_RUN_ID=reach$$
	(( EUID == 0 )) || skip "entering another process's namespaces needs root here"
}

teardown() {
	ns_targets_end
	nobody_copy_remove
}

# hold OPTION...: an ipcns holder (a new IPC namespace, with OPTIONs) in TARGET.
hold() {
	TARGET=$("$IPCNS_PROBES/ipcns" "$@" --hold --lifetime 60) || fail "ipcns $* --hold failed"
	NS_TARGETS+=("$TARGET")
}

# assert_nothing_left: every name the run logged (IPCNS_NAMES, as
# run-tests.sh's sweep reads it) is gone from the host, whichever side made it.
assert_nothing_left() {
	local mech name probe left=""
	[[ -s $IPCNS_NAMES ]] || fail "no names were logged"
	while read -r mech name; do
		case $mech in
			sysv-*) probe=("$IPCNS_PROBES/probe-sysv" "${mech#sysv-}") ;;
			posix-*) probe=("$IPCNS_PROBES/probe-posix" "${mech#posix-}") ;;
			*) probe=("$IPCNS_PROBES/probe-endpoint" "$mech") ;;
		esac
		timeout 10 "${probe[@]}" get "$name" >/dev/null 2>&1 && left+="$mech $name; "
		[[ $mech == sysv-* || $mech == unix-abstract || ! -e $name ]] || left+="$name; "
	done <"$IPCNS_NAMES"
	[[ -z $left ]] || fail "left on the host: $left"
}

# expect WORD MECH [SCENARIO...]: each of MECH's cells (default: both
# directions with this side) observed WORD.
expect() {
	local word=$1 mech=$2 scen got
	shift 2
	(($#)) || set -- host-to-target target-to-host
	for scen; do
		got=$(observed "$scen" "$mech")
		[[ $got == "$word" ]] || fail "$mech $scen: '$got', wanted $word"$'\n'"$output"
	done
}

@test "probe-reach: -h and --help print usage; bad input is usage, exit 2" {
	local dead
	assert_help "$R"
	expect_usage "$R"
	expect_usage "$R" --target
	expect_usage "$R" --target 0
	expect_usage "$R" --target x
	expect_usage "$R" --target 1 bogus-mech
	expect_usage "$R" --target 1 --entry clone
	expect_usage "$R" --target 1 --peer 1
	expect_usage "$R" -t 0 --target 1
	# shellcheck disable=SC2016 # the pid of the shell that execs the probe
	expect_usage sh -c 'exec "$0" --target $$' "$R"
	dead=$(sh -c 'echo $$') # exited and reaped
	expect_usage "$R" --target "$dead"
	assert_stderr_has "no such process"
	IPCNS_RUN_ID='a b' expect_usage "$R" --target 1
}

@test "probe-reach: an IPC namespace alone: SysV and mq isolated, /dev/shm and abstract sockets shared; nothing left" {
	local m
	hold
	marked "$R" --target "$TARGET"
	assert_success
	for m in sysv-msg sysv-sem sysv-shm posix-mq; do expect isolated "$m"; done
	for m in posix-sem posix-shm unix-abstract fifo:/dev/shm unix-path:/dev/shm fifo:/tmp; do
		expect shared "$m"
	done
	[[ $output == *$'\tpidfd\tipc\t'* ]] || fail "namespaces not 'ipc': $output"
	assert_output --regexp $'TARGET\tns\tipc\t[0-9]+\t[0-9]+'
	assert_output --regexp $'TARGET\tstart\t[0-9]+'
	assert_nothing_left
}

@test "probe-reach --entry setns, and a mount namespace with its own /dev/shm: POSIX names and /dev/shm paths isolated, nothing left inside" {
	local m
	hold --mnt
	marked "$R" --entry setns --target "$TARGET"
	assert_success
	for m in posix-sem posix-shm posix-mq fifo:/dev/shm unix-path:/dev/shm sysv-shm; do
		expect isolated "$m"
	done
	expect shared unix-abstract
	[[ $output == *$'\tsetns\tipc+mnt\t'* ]] || fail "$output"
	[[ -z $(ls -A "/proc/$TARGET/root/dev/shm") ]] || fail "left in the target: $(ls -A "/proc/$TARGET/root/dev/shm")"
}

@test "probe-reach: a network namespace isolates abstract sockets" {
	hold --net
	marked "$R" --target "$TARGET" unix-abstract posix-shm sysv-msg
	assert_success
	expect isolated unix-abstract
	expect shared posix-shm
	expect isolated sysv-msg
	[[ $(grep -c ^OBSERVE <<<"$output") == 6 ]] || fail "$output"
}

@test "probe-reach: user+ipc namespaces (unshare --map-root-user) are entered as their root" {
	ns_target - --user --map-root-user --ipc
	marked "$R" --target "$TARGET" sysv-msg posix-mq posix-shm
	assert_success
	expect isolated sysv-msg
	expect isolated posix-mq
	expect shared posix-shm
	[[ $output == *$'\tipc+user\t'* ]] || fail "$output"
}

# podman --uidmap --ipc=host: the join-order fix, and permissions: root
# inside is uid 100000 here, so our 0600 objects are found but denied to it,
# while we (root) read its own.
@test "probe-reach: a new user namespace with the host's IPC one: found but denied one way, shared the other" {
	local m entry
	ns_target "0 100000 65536" --user
	for entry in pidfd setns; do
		marked "$R" --entry "$entry" --target "$TARGET"
		assert_success
		for m in sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo:/tmp; do
			expect shared-denied "$m" host-to-target
			expect shared "$m" target-to-host
		done
		[[ $output == *$'\tuser\t'* ]] || fail "$output"
	done
	assert_nothing_left # the target's were the host's too
}

# podman's /dev/shm: a host directory bind-mounted there.
@test "probe-reach: a target's /dev/shm this side sees elsewhere: isolated at /dev/shm, shared through its path" {
	local dir=$BATS_TEST_TMPDIR/shm
	mkdir "$dir"
	ns_target - --ipc --mount -- "mount --bind '$dir' /dev/shm"
	marked "$R" --target "$TARGET" fifo unix-path
	assert_success
	expect isolated fifo:/dev/shm
	expect shared fifo:/dev/shm host-via-path-to-target target-to-host-via-path
	expect shared unix-path:/dev/shm host-via-path-to-target target-to-host-via-path
	assert_output --partial "(this side's path: $dir)"
	[[ -z $(ls -A "$dir") ]] || fail "left: $(ls -A "$dir")"
}

@test "probe-reach --peer: two containers sharing an IPC namespace (--ipc=container:X), one apart" {
	local a b
	hold
	a=$TARGET
	NS_TARGET_TOOL=nsenter ns_target - --target "$a" --ipc
	b=$TARGET
	marked "$R" --target "$b" --peer "$a" sysv-msg posix-mq
	assert_success
	expect shared sysv-msg peer-to-target target-to-peer
	assert_output --regexp $'PEER\tpid\t'"$a"
	[[ $output == *$'\tpidfd\tnone\t'* ]] || fail "$output"
	hold
	marked "$R" --target "$TARGET" --peer "$a" sysv-msg
	assert_success
	expect isolated sysv-msg peer-to-target target-to-peer
}

@test "probe-reach: a process with every namespace of ours is measured, and said to be no container" {
	marked "$R" --target "$$" sysv-msg posix-mq
	assert_success
	assert_output --partial "# the target shares every namespace with this side: not a container"
	expect shared sysv-msg
	expect shared posix-mq
}
