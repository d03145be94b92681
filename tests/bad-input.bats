#!/usr/bin/env bats
# Table-driven: every line of bad-input.txt is a command that must be refused
# with "usage:" on stderr and exit 2 (and nothing done).

load helpers

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
: "${IPCNS_PROBES:=$IPCNS_SRC/build/probes}"

# arg TOKEN: the argument a stand-in means.
arg() {
	case $1 in
		@EMPTY) printf '' ;;
		@LONG) printf 'a%.0s' {1..5000} ;;
		@LONGPATH) printf '/%.0s' 1; printf 'p%.0s' {1..199} ;;
		@NL) printf 'a\nb' ;;
		@FMT) printf '%%n%%s%%x' ;;
		@SP) printf ' 1' ;;
		@UTF8) printf 'n\xc3\xa4me' ;;
		*) printf '%s' "$1" ;;
	esac
}

@test "every malformed, missing, overlong, out-of-range or hostile argument: usage, exit 2" {
	local line words cmd w n=0 failures=""
	while IFS= read -r line; do
		case $line in '#'* | '') continue ;; esac
		read -r -a words <<<"$line"
		case ${words[0]} in
			*/* | *.sh) cmd=("$IPCNS_SRC/${words[0]}") ;;
			*) cmd=("$IPCNS_PROBES/${words[0]}") ;;
		esac
		for w in "${words[@]:1}"; do
			cmd+=("$(arg "$w")")
		done
		n=$((n + 1))
		run --separate-stderr timeout 10 "${cmd[@]}"
		if [ "$status" != 2 ] || [[ $stderr != *usage:* ]]; then
			failures+="$line: exit $status, stderr: ${stderr:0:120}"$'\n'
		fi
	done <"$BATS_TEST_DIRNAME/bad-input.txt"
	assert [ "$n" -ge 50 ]
	[ -z "$failures" ] || fail "$failures"
}
