#!/usr/bin/env bats
# ./run-tests.sh --against PID end to end, on stand-ins for containers made
# with unshare(1): the record and its target block, a policy that passes and
# one that fails, a peer as this side, a target that vanishes, and the host
# left as found. Real podman and docker containers: runtimes.bats. Meson
# runs this file alone (is_parallel: false): it compares the host's state.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load helpers
load user-copy

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
: "${IPCNS_BUILD:=$IPCNS_SRC/build}"

audit() {
	"$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" --output "$BATS_TEST_TMPDIR/out" "$@"
}

# What an audit may not leave: SysV keys, /dev/shm entries.
host_state() {
	local k
	for k in msg sem shm; do
		awk -v k="$k" 'NR > 1 { print k, $1 }' "/proc/sysvipc/$k"
	done
	ls -A /dev/shm
}

# measured MECH DIRECTION: what the record says MECH's DIRECTION observed.
measured() {
	jq -r --arg m "$1" --arg d "$2" '.target.measured[$m][$d] // "none"' "$BATS_TEST_TMPDIR/out/results.json"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "the stand-in containers are made as root"
	command -v jq >/dev/null || skip "jq is not installed"
	[ -x "$IPCNS_BUILD/probes/probe-reach" ] || skip "no probes built in $IPCNS_BUILD"
	# shellcheck disable=SC2034 # ns_target adds to it, ns_targets_end ends them
	NS_TARGETS=()
	BEFORE=$(host_state)
}

teardown() {
	ns_targets_end
	user_copy_remove
}

@test "--against a process with IPC, mount and network namespaces of its own: each mechanism isolated both ways, in a record with its target block" {
	ns_target - --ipc --net --mount --propagation private -- 'mount -t tmpfs ipcns-audit /dev/shm'
	run -0 audit --against "$TARGET"
	local m d
	for m in sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm unix-abstract fifo:/dev/shm; do
		for d in this-to-target target-to-this; do
			assert_equal "$m $d $(measured "$m" "$d")" "$m $d isolated"
		done
	done
	run -0 jq -r '[.target.target.pid, .target.policy, .target.target.namespaces.ipc.this != .target.target.namespaces.ipc.target] | @tsv' \
		"$BATS_TEST_TMPDIR/out/results.json"
	assert_output "$TARGET"$'\tnone\ttrue'
	run python3 "$BATS_TEST_DIRNAME/schema_check.py" "$BATS_TEST_TMPDIR/out/results.json"
	[ "$status" = 0 ] || [ "$status" = 77 ] || fail "$output"
	run -0 python3 "$BATS_TEST_DIRNAME/ktap_check.py" "$BATS_TEST_TMPDIR/out/results.ktap"
	run -0 grep -c '^# IPC audit: process '"$TARGET"'\|^- \*\*Shared with the host:\*\*' "$BATS_TEST_TMPDIR/out/RESULTS.md"
	assert_output 2
	assert_equal "$(host_state)" "$BEFORE"
}

@test "--expect isolated fails for a new IPC namespace alone: /dev/shm and abstract sockets are the host's, SysV is not" {
	ns_target - --ipc
	run -1 audit --against "$TARGET" --expect isolated
	assert_equal "$(measured sysv-msg this-to-target)" isolated
	assert_equal "$(measured posix-shm this-to-target)" shared
	assert_equal "$(measured unix-abstract target-to-this)" shared
	run -0 jq -r '[.cells[] | select(.verdict == "fail") | .mechanism] | unique | join(" ")' "$BATS_TEST_TMPDIR/out/results.json"
	assert_output --partial "posix-shm"
	assert_output --partial "unix-abstract"
	refute_output --partial "sysv-"
	run -0 grep -c '^- \*\*' "$BATS_TEST_TMPDIR/out/RESULTS.md"
	assert_equal "$(host_state)" "$BEFORE"
}

@test "--expect FILE: a policy of one's own, here SysV and POSIX mq isolated and anything else allowed, passes" {
	ns_target - --ipc
	printf '%s\n' '# mechanism scenario ns kernel expected why' \
		'@(sysv-*|posix-mq)  *  *  *  isolated  the IPC namespace must be its own' \
		'*                   *  *  *  any       the rest may be shared' >"$BATS_TEST_TMPDIR/policy.tsv"
	run -0 audit --against "$TARGET" --expect "$BATS_TEST_TMPDIR/policy.tsv"
	run -0 jq -r '.target.policy' "$BATS_TEST_TMPDIR/out/results.json"
	assert_output "$BATS_TEST_TMPDIR/policy.tsv"
}

@test "--peer: the peer, not the host, is this side (a process in the peer's IPC namespace shares SysV with it)" {
	ns_target - --ipc
	local peer=$TARGET
	NS_TARGET_TOOL=nsenter ns_target - --target "$peer" --ipc
	run -0 audit --against "$TARGET" --peer "$peer"
	run -0 jq -r '[.target.peer.pid, .target.measured["sysv-msg"]["this-to-target"], .target.measured["posix-mq"]["target-to-this"]] | @tsv' \
		"$BATS_TEST_TMPDIR/out/results.json"
	assert_output "$peer"$'\tshared\tshared'
	# the IPC namespace is the peer's (this side's), not the host's
	run -0 grep -c '^| ipc | [0-9]* | [0-9]* | [0-9]* | yes |$' "$BATS_TEST_TMPDIR/out/RESULTS.md"
	assert_equal "$(host_state)" "$BEFORE"
}

@test "a target that ends during the audit voids the record: exit 3, never a result" {
	ns_target - --ipc
	# probes of which probe-reach ends the target first
	mkdir "$BATS_TEST_TMPDIR/probes"
	ln -s "$IPCNS_BUILD"/probes/* "$BATS_TEST_TMPDIR/probes/"
	rm "$BATS_TEST_TMPDIR/probes/probe-reach"
	printf '#!/bin/sh\nkill -KILL %s\nexec %s "$@"\n' "$TARGET" "$IPCNS_BUILD/probes/probe-reach" >"$BATS_TEST_TMPDIR/probes/probe-reach"
	chmod +x "$BATS_TEST_TMPDIR/probes/probe-reach"
	IPCNS_PROBES=$BATS_TEST_TMPDIR/probes run -3 audit --against "$TARGET"
	assert_output --partial "exited or was replaced during the audit"
	assert_equal "$(host_state)" "$BEFORE"
}

@test "an ordinary user audits their own rootless container: it enters the user namespace first, and SysV is isolated" {
	user_copy
	as_user "$USER_BUILD/probes/ipcns" --user -- true || skip "unprivileged user namespaces are not available here"
	mkfifo "$USER_COPY/up" && chmod 666 "$USER_COPY/up"
	# shellcheck disable=SC2016 # expanded by the target's shell
	as_user unshare --user --map-root-user --ipc --net -- sh -c 'echo $$ >"$0"; exec sleep 60' "$USER_COPY/up" \
		</dev/null >/dev/null 2>&1 &
	disown
	read -r -t 10 TARGET <"$USER_COPY/up" || fail "the user's target did not start"
	NS_TARGETS+=("$TARGET")
	mkdir "$USER_COPY/out" && chown "$NOBODY" "$USER_COPY/out"
	run -0 as_user "$USER_SRC/run-tests.sh" --no-install --build "$USER_BUILD" --output "$USER_COPY/out" --against "$TARGET"
	run -0 jq -r '[.privilege, .target.measured["sysv-msg"]["this-to-target"], .target.measured["sysv-msg"]["target-to-this"], .target.measured["unix-abstract"]["target-to-this"]] | @tsv' \
		"$USER_COPY/out/results.json"
	assert_output $'rootless\tisolated\tisolated\tisolated'
	assert_equal "$(host_state)" "$BEFORE"
}

@test "no container: ourselves, or a process that has exited, is usage (exit 2) before anything is built or measured" {
	run -2 audit --against "$$"
	assert_output --partial "it is no container"
	assert_output --partial "usage:"
	sh -c 'exit 0' &
	local gone=$!
	wait "$gone"
	run -2 audit --against "$gone"
	assert_output --partial "no process $gone"
	assert [ ! -e "$BATS_TEST_TMPDIR/out" ]
	assert_equal "$(host_state)" "$BEFORE"
}
