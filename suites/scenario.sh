#!/usr/bin/env bash
# The judge: runs a probe that measures cells (probe-named, probe-inherit
# --cells, probe-sysctl, ...), and judges each observation it prints against
# the expectation in fixtures/. The probes observe; only this compares. An
# expectation is only ever compared with what was observed, never copied.
#
# Plain bash rather than Bats code: Bats traces every command it runs, and
# here a cell costs well under a millisecond. suites/*.bats call it once a test.
set -u

usage() {
	cat <<'EOF'
usage: scenario.sh --observe PROBE [ARG...] [--observe PROBE [ARG...]]...
Runs PROBE (a name in IPCNS_PROBES, or a path), which measures cells and
prints a line a cell, tab-separated, and judges each against the rows of
IPCNS_FIXTURES/PROBE.tsv (less a .sh), and no other file:
  OBSERVE mechanism scenario entry namespaces observed detail
(observed "skip": the detail says why; empty: no valid observation). Each is
judged against the fixtures and printed as
  "VERDICT MECH SCENARIO ENTRY NAMESPACES: OBSERVED, expected E (DETAIL)".
Environment: IPCNS_PROBES (built probes), IPCNS_FIXTURES, IPCNS_RECORD (cells
are appended there as JSON lines), IPCNS_TIMEOUT (seconds, default 10; the probe
gets three times that in all), IPCNS_KCONFIG and IPCNS_KCONFIG_SOURCE (the
kernel's options, to confirm skips: suites/lib.sh).
Each cell is appended to IPCNS_RECORD as a line of JSON (cells.jsonl).
exit (the project's one vocabulary, README): 0 every cell as expected (skips
allowed), 1 a cell deviated, 2 usage, 3 a measurement broke (no valid
observation: neither the kernel's fault nor a skip), 4 every cell skipped
EOF
}

# No process is spent here that a loop can spare: under emulation (--kernel)
# each costs some 50 ms, and a run calls this once a test.
here=${BASH_SOURCE[0]%/*}
[ "$here" != "${BASH_SOURCE[0]}" ] || here=.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
: "${IPCNS_PROBES:=$here/../build/probes}"
: "${IPCNS_FIXTURES:=$here/../fixtures}"
: "${IPCNS_RECORD:=/dev/null}"
: "${IPCNS_TIMEOUT:=10}"
export IPCNS_TIMEOUT

CELLS=0 SKIPS=0 DEVIATIONS=0 BROKEN=0
shopt -s extglob # the fixtures' fields are patterns

# The running kernel as MAJOR*1000+MINOR, for the fixtures' kernel column.
read -r KERNEL </proc/sys/kernel/osrelease || KERNEL=$(uname -r)
KERNEL=$((${KERNEL%%.*} * 1000 + $(v=${KERNEL#*.}; echo "${v%%[!0-9]*}")))

# kernel_matches ">=6.9" | "<5.19" | "*": does the running kernel qualify?
kernel_matches() {
	local v=${1#[<>]=} want
	[ "$1" = "*" ] && return 0
	v=${v#<}
	want=$((${v%%.*} * 1000 + ${v#*.}))
	case $1 in
		'>='*) [ "$KERNEL" -ge "$want" ] ;;
		'<'*) [ "$KERNEL" -lt "$want" ] ;;
		*) return 1 ;;
	esac
}

# The rows of fixtures/PROBE.tsv, the expectations of PROBE's cells (and of
# no other's), read once into columns: mechanism, scenario, namespaces
# (extglob patterns), kernel bound, expected value, and the expected value
# and why as JSON (FEJ, FWJ), quoted once a row rather than once a cell.
FM=() FS=() FN=() FK=() FE=() FEJ=() FWJ=()
declare -A ROW=() # "MECH SCENARIO NAMESPACES": its row, once looked up
load_fixtures() {
	local m s n k e why
	FM=() FS=() FN=() FK=() FE=() FEJ=() FWJ=() ROW=()
	while read -r m s n k e why; do
		case $m in '#'* | '') continue ;; esac
		FM+=("$m") FS+=("$s") FN+=("$n") FK+=("$k") FE+=("$e")
		json "$e"
		FEJ+=("$J")
		json "$why"
		FWJ+=("$J")
	done <"$1"
}

# expected MECH SCENARIO NAMESPACES: the first matching row gives EXPECTED,
# and as JSON EJ and WJ (why). "any" expects only that something valid was
# observed: for behaviour that distributions backport.
expected() {
	local i=${ROW["$1 $2 $3"]:-} j
	if [ -z "$i" ]; then
		i=-1
		for j in "${!FM[@]}"; do
			# shellcheck disable=SC2254 # the fixture's fields are patterns
			case $1 in ${FM[j]}) case $2 in ${FS[j]}) case $3 in ${FN[j]})
				kernel_matches "${FK[j]}" && { i=$j; break; } ;;
			esac ;; esac ;; esac
		done
		ROW["$1 $2 $3"]=$i
	fi
	if [ "$i" = -1 ]; then
		EXPECTED="" EJ=null WJ=$NO_ROW
	else
		EXPECTED=${FE[i]} EJ=${FEJ[i]} WJ=${FWJ[i]}
	fi
}
NO_ROW='"no row in the probe'"'"'s fixtures"'

# cell MECH SCENARIO ENTRY: judge OBSERVED (in namespaces NS) against the
# expectation, and record it.
cell() {
	local verdict observed=$OBSERVED
	expected "$1" "$2" "$NS"
	case $observed in
		skip) if confirm_skip; then
				verdict=skip observed="" SKIPS=$((SKIPS + 1))
			else
				verdict=fail observed="" DEVIATIONS=$((DEVIATIONS + 1))
			fi ;;
		"") verdict=broken BROKEN=$((BROKEN + 1)) ;; # neither the kernel's fault nor a skip
		"$EXPECTED") verdict=pass ;;
		*) if [ "$EXPECTED" = any ]; then verdict=pass; else verdict=fail DEVIATIONS=$((DEVIATIONS + 1)); fi ;;
	esac
	CELLS=$((CELLS + 1))
	printf '%s %s %s %s %s: %s, expected %s (%s)\n' "$verdict" "$1" "$2" "$3" "$NS" \
		"${observed:-no observation}" "${EXPECTED:-?}" "$DETAIL"
	# A line of JSON a cell (cells.jsonl), in RECORD until the probe's cells
	# are judged. Bash spends some 5000 instructions a statement (a cell is
	# ~10 ms under emulation, --kernel): a cell with nothing to escape, as
	# most are, is only quoted ("" as null), and json walks the others.
	local f=("$1" "$2" "$3" "$NS" "$observed" "$verdict" "$DETAIL") i line
	if [[ ${f[*]} == *[$'\x01'-$'\x1f'$'\x7f'\"\\]* ]]; then
		for i in "${!f[@]}"; do
			json "${f[i]}"
			f[i]=$J
		done
	else
		f=("${f[@]/#/\"}")
		f=("${f[@]/%/\"}")
		f=("${f[@]/#\"\"/null}")
	fi
	printf -v line '{"mechanism":%s,"scenario":%s,"entry":%s,"namespaces":%s,"expected":%s,"observed":%s,"verdict":%s,"detail":%s,"why":%s}' \
		"${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}" "$EJ" "${f[4]}" "${f[5]}" "${f[6]}" "$WJ"
	RECORD+=$line$'\n'
}

# json TEXT: TEXT as a JSON string ("" as null), in J: backslashes, quotes
# and control characters escaped. What a probe printed may hold any of them.
json() {
	local s=$1 c i
	[ -n "$s" ] || { J=null; return; }
	[[ $s == *\\* ]] && s=${s//\\/\\\\}
	[[ $s == *\"* ]] && s=${s//\"/\\\"}
	if [[ $s == *[[:cntrl:]]* ]]; then
		J=""
		for ((i = 0; i < ${#s}; i++)); do
			c=${s:i:1}
			[[ $c == [[:cntrl:]] ]] && printf -v c '\\u%04x' "'$c"
			J+=$c
		done
		s=$J
	fi
	J="\"$s\""
}

# observe COMMAND...: judges each OBSERVE line COMMAND prints. A probe that
# fails outright (or prints nothing) is a cell of its own, named after it:
# broken (neither a pass nor the kernel's fault), or a skip when it said
# "unsupported" (4) before observing anything.
# The probes' stderr, for a cell's reason: one file a judge, made at its
# first probe.
ERR=""
observe() {
	local line mech scen entry ns observed detail n=0 rc=0 out first=""
	if [ -z "$ERR" ]; then
		ERR=$(mktemp "${TMPDIR:-/tmp}/ipcns-err.XXXXXX") || return 3
		trap 'rm -f "$ERR"' EXIT
		# a signal runs no EXIT trap by itself
		trap 'exit 129' HUP
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
	out=$(timeout -k 1 $((3 * IPCNS_TIMEOUT)) "$@" 2>"$ERR") || rc=$?
	RECORD=""
	while IFS= read -r line; do
		[[ $line == OBSERVE || $line == OBSERVE$'\t'* ]] || continue
		# Tabs are whitespace to read, and would merge an empty observed
		# value with its neighbour: split on a separator that is not.
		IFS=$'\x1f' read -r _ mech scen entry ns observed detail <<<"${line//$'\t'/$'\x1f'}"
		n=$((n + 1))
		NS=$ns OBSERVED=$observed DETAIL=$detail
		cell "$mech" "$scen" "$entry"
	done <<<"$out"
	if [ "$rc" != 0 ] || [ "$n" = 0 ]; then
		read -r first <"$ERR"
		case $rc in 124 | 137) detail="timed out after $((3 * IPCNS_TIMEOUT)) s" ;; *) detail="" ;; esac
		NS=- OBSERVED="" DETAIL="${1##*/} exited $rc after $n observations${detail:+: $detail}: $first"
		# 4, the vocabulary's skip: the probe found nothing it could measure
		[ "$rc" = 4 ] && [ "$n" = 0 ] && OBSERVED=skip DETAIL=$first
		# named after the probe and its first argument ("-": it took none)
		cell "${1##*/}" "${2:--}" -
	fi
	# the probe's cells in one write
	printf '%s' "$RECORD" >>"$IPCNS_RECORD"
}

main() {
	local fixtures args=()
	case ${1:-} in
		-h | --help) usage; return 0 ;;
		--observe) shift ;;
		*) usage >&2; return 2 ;;
	esac
	if [ $# -eq 0 ] || [ "${!#}" = --observe ]; then usage >&2; return 2; fi
	# One probe run a group: PROBE [ARG...] up to the next --observe.
	while [ $# -gt 0 ]; do
		args=()
		while [ $# -gt 0 ] && [ "$1" != --observe ]; do
			args+=("$1")
			shift
		done
		[ $# -eq 0 ] || shift
		[ "${#args[@]}" -gt 0 ] || { usage >&2; return 2; }
		case ${args[0]} in */*) ;; *) args[0]=$IPCNS_PROBES/${args[0]} ;; esac
		fixtures=${args[0]##*/} fixtures=$IPCNS_FIXTURES/${fixtures%.sh}.tsv
		load_fixtures /dev/null
		# No file: its cells are still measured and recorded, each failing
		# for want of an expectation ("no row in the probe's fixtures").
		if [ -r "$fixtures" ]; then
			load_fixtures "$fixtures"
		else
			echo "scenario.sh: no expectations for ${args[0]##*/}: $fixtures" >&2
		fi
		observe "${args[@]}"
	done
	[ "$DEVIATIONS" -gt 0 ] && return 1
	[ "$BROKEN" -gt 0 ] && return 3
	[ "$SKIPS" = "$CELLS" ] && return 4
	return 0
}

main "$@"
