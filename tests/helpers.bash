# shellcheck shell=bash
# shellcheck disable=SC2154 # status, output, stderr: set by Bats' run
# What the project's own Bats tests share.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

assert_stderr_has() {
	[[ $stderr == *"$1"* ]] || fail "stderr lacks '$1'; it was: ${stderr:-<empty>}"
}

# expect_usage CMD...: a usage error: exit 2, "usage:" on stderr, nothing on
# stdout. Plain tests rather than assert_output: this runs dozens of times,
# and each assert_output costs ~6 ms under Bats' tracing.
expect_usage() {
	run -2 --separate-stderr "$@"
	assert_stderr_has "usage:"
	[[ -z $output ]] || fail "$* printed on stdout: $output"
}

# assert_help PROGRAM...: -h and --help print its usage on stdout, exit 0.
assert_help() {
	local p opt
	for p; do
		for opt in -h --help; do
			run -0 --separate-stderr "$p" "$opt"
			assert_output --partial "usage: ${p##*/}"
			[[ -z $stderr ]] || fail "${p##*/} $opt wrote to stderr: $stderr"
		done
	done
}

# fnv1a32 NAME: the SysV key the probes derive from NAME (probe_sysv_key),
# written here again: it is part of the contract. As an unsigned number;
# /proc/sysvipc prints keys signed (see signed_key).
fnv1a32() {
	local s=$1 h=2166136261 i byte
	for ((i = 0; i < ${#s}; i++)); do
		printf -v byte '%d' "'${s:i:1}"
		((h = ((h ^ byte) * 16777619) & 0xffffffff))
	done
	((h == 0)) && h=1
	echo "$h"
}

# signed_key NAME: the key as /proc/sysvipc prints it.
signed_key() {
	local h
	h=$(fnv1a32 "$1")
	((h > 2147483647)) && ((h -= 4294967296))
	echo "$h"
}

# nobody_path PATH: in NOBODY_PATH, a path to PATH that uid 65534 may run:
# PATH itself or, where it cannot (a checkout under /root, say), a copy of
# PATH's directory, links followed, with suites/lib.sh beside it for the
# shell probe. False when even the copy cannot run. The copy goes in
# teardown (nobody_copy_remove).
nobody_path() {
	local dir=${1%/*} lib
	NOBODY_PATH=$1
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$1" && return 0
	NOBODY_COPY=$(mktemp -d /tmp/ipcns-nobody.XXXXXX) || return 1
	cp -RL "$dir" "$NOBODY_COPY/" || return 1
	# A shell probe sources these beside its real directory (probe-util-linux).
	lib=$(dirname "$(readlink -f "$1")")
	if [ -f "$lib/../suites/lib.sh" ]; then
		mkdir "$NOBODY_COPY/suites" && cp "$lib/../suites/lib.sh" "$NOBODY_COPY/suites/" || return 1
	fi
	if [ -f "$lib/lib/util-linux.sh" ]; then
		mkdir -p "$NOBODY_COPY/${dir##*/}/lib" && cp "$lib/lib/util-linux.sh" "$NOBODY_COPY/${dir##*/}/lib/" || return 1
	fi
	chmod -R a+rX,go-w "$NOBODY_COPY"
	NOBODY_PATH=$NOBODY_COPY/${dir##*/}/${1##*/}
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NOBODY_PATH"
}

nobody_copy_remove() {
	[ -z "${NOBODY_COPY:-}" ] || rm -rf "$NOBODY_COPY"
	NOBODY_COPY=""
}

# A file with a teardown of its own calls nobody_copy_remove there.
teardown() {
	nobody_copy_remove
}

# ns_target MAP [UNSHARE_OPTION...] [-- SCRIPT]: a process in namespaces made
# by unshare(1) (a stand-in for a container; NS_TARGET_TOOL=nsenter: entered
# by nsenter(1), its options instead), its pid in TARGET, also added
# to NS_TARGETS for ns_targets_end. SCRIPT (a mount, say) runs inside first.
# MAP "-": none written; else written as the uid and gid map ("0 100000
# 65536": root inside is no uid of ours, as with podman --uidmap) before the
# process goes on. Synchronised through FIFOs; it ends after 60 s at most.
ns_target() {
	local map=$1 opts=() script=":" dir
	shift
	while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
	[[ ${1:-} == -- ]] && script=$2
	dir=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/target.XXXXXX") || return 1
	mkfifo "$dir/up" "$dir/go" || return 1
	# shellcheck disable=SC2016 # expanded by the target's shell
	"${NS_TARGET_TOOL:-unshare}" "${opts[@]}" -- sh -c "$script"' || exit 1
		echo $$ >"$0/up"; read -r _ <"$0/go"; exec sleep 60' "$dir" \
		</dev/null >/dev/null 2>&1 3>&- &
	disown # no "Killed" from bash when ns_targets_end ends it
	TARGET=""
	read -r -t 10 TARGET <"$dir/up" || { fail "the target did not start: unshare ${opts[*]}"; return 1; }
	NS_TARGETS+=("$TARGET")
	if [[ $map != - ]]; then
		if ! echo "$map" >"/proc/$TARGET/uid_map" || ! echo "$map" >"/proc/$TARGET/gid_map"; then
			fail "cannot write the maps of $TARGET"
			return 1
		fi
	fi
	echo go >"$dir/go"
}

# Ends every ns_target (from teardown).
ns_targets_end() {
	local pid
	for pid in "${NS_TARGETS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	NS_TARGETS=()
}
