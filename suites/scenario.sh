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
usage: scenario.sh --observe PROBE [ARG...]
Runs PROBE (a name in IPCNS_PROBES, or a path), which measures cells and
prints a line a cell, tab-separated, and judges each against the rows of
IPCNS_FIXTURES/PROBE.tsv (less a .sh), and no other file:
  OBSERVE mechanism scenario entry namespaces observed detail
(observed "skip": the detail says why; empty: no valid observation). Each is
judged against the fixtures and printed as
  "VERDICT MECH SCENARIO ENTRY NAMESPACES: OBSERVED, expected E (DETAIL)".
Environment: IPCNS_PROBES (built probes), IPCNS_FIXTURES, IPCNS_RECORD (cells
are appended there as TSV), IPCNS_TIMEOUT (seconds, default 10; the probe
gets three times that in all), IPCNS_KCONFIG and IPCNS_KCONFIG_SOURCE (the
kernel's options, to confirm skips: suites/lib.sh).
exit: 0 every cell as expected (skips allowed), 1 a deviation, 2 usage,
      77 every cell skipped
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
: "${IPCNS_PROBES:=$here/../build/probes}"
: "${IPCNS_FIXTURES:=$here/../fixtures}"
: "${IPCNS_RECORD:=/dev/null}"
: "${IPCNS_TIMEOUT:=10}"
export IPCNS_TIMEOUT

CELLS=0 SKIPS=0 DEVIATIONS=0
shopt -s extglob # the fixtures' fields are patterns

# The running kernel as MAJOR*1000+MINOR, for the fixtures' kernel column.
KERNEL=$(uname -r)
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
# no other's), read once: "mechanism scenario namespaces kernel expected why".
ROWS=()
load_fixtures() {
	local line
	while IFS= read -r line; do
		case $line in '#'* | '') continue ;; esac
		ROWS+=("$line")
	done <"$1"
}

# expected MECH SCENARIO NAMESPACES: the first matching row (mechanism,
# scenario and namespaces are extglob patterns, kernel a version bound) gives
# EXPECTED and WHY. "any" expects only that something valid was observed:
# for behaviour that distributions backport.
expected() {
	local row m s n k e why
	EXPECTED="" WHY="no row in fixtures/"
	for row in "${ROWS[@]}"; do
		read -r m s n k e why <<<"$row"
		# shellcheck disable=SC2254 # the fixture's fields are patterns
		case $1 in $m) case $2 in $s) case $3 in $n)
			kernel_matches "$k" || continue
			EXPECTED=$e WHY=$why
			return ;;
		esac ;; esac ;; esac
	done
}

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
		"") verdict=fail DEVIATIONS=$((DEVIATIONS + 1)) ;;
		"$EXPECTED") verdict=pass ;;
		*) if [ "$EXPECTED" = any ]; then verdict=pass; else verdict=fail DEVIATIONS=$((DEVIATIONS + 1)); fi ;;
	esac
	CELLS=$((CELLS + 1))
	printf '%s %s %s %s %s: %s, expected %s (%s)\n' "$verdict" "$1" "$2" "$3" "$NS" \
		"${observed:-no observation}" "${EXPECTED:-?}" "$DETAIL"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$NS" "$EXPECTED" \
		"$observed" "$verdict" "$DETAIL" "$WHY" >>"$IPCNS_RECORD"
}

# observe COMMAND...: judges each OBSERVE line COMMAND prints. A probe that
# fails outright (or prints nothing) is a failed cell of its own, named after
# it: the measurement broke, which is neither a pass nor the kernel's fault.
observe() {
	local tag mech scen entry ns observed detail n=0 rc=0 out err
	err=$(mktemp "${TMPDIR:-/tmp}/ipcns-err.XXXXXX") || return 3
	out=$(timeout -k 1 $((3 * IPCNS_TIMEOUT)) "$@" 2>"$err") || rc=$?
	# Tabs are whitespace to read, and would merge an empty observed value
	# with its neighbour: split on a separator that is not.
	while IFS=$'\x1f' read -r tag mech scen entry ns observed detail; do
		[ "$tag" = OBSERVE ] || continue
		n=$((n + 1))
		NS=$ns OBSERVED=$observed DETAIL=${detail//$'\t'/ }
		cell "$mech" "$scen" "$entry"
	done <<<"${out//$'\t'/$'\x1f'}"
	if [ "$rc" != 0 ] || [ "$n" = 0 ]; then
		case $rc in 124 | 137) detail="timed out after $((3 * IPCNS_TIMEOUT)) s" ;; *) detail="" ;; esac
		NS=- OBSERVED="" DETAIL="${1##*/} exited $rc after $n observations${detail:+: $detail}: $(head -n 1 "$err")"
		# named after the probe and its first argument ("-": it took none)
		cell "${1##*/}" "${2:--}" -
	fi
	rm -f "$err"
}

main() {
	local fixtures
	case ${1:-} in
		-h | --help) usage; return 0 ;;
		--observe) shift ;;
		*) usage >&2; return 2 ;;
	esac
	[ $# -gt 0 ] || { usage >&2; return 2; }
	case $1 in */*) ;; *) set -- "$IPCNS_PROBES/$1" "${@:2}" ;; esac
	fixtures=${1##*/} fixtures=$IPCNS_FIXTURES/${fixtures%.sh}.tsv
	[ -r "$fixtures" ] || { echo "scenario.sh: no expectations for ${1##*/}: $fixtures" >&2; return 3; }
	load_fixtures "$fixtures"
	observe "$@"
	[ "$DEVIATIONS" -gt 0 ] && return 1
	[ "$SKIPS" = "$CELLS" ] && return 77
	return 0
}

main "$@"
