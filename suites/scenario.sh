#!/usr/bin/env bash
# The scenario engine: measures cells of the isolation matrix for one mechanism.
# A scenario makes an object somewhere, proves with a positive control that the
# probe reaches it there, then looks from elsewhere. The expectation comes from
# fixtures/expected.tsv and is only ever compared with what was observed.
#
# It is plain bash rather than Bats code because Bats traces every command it
# runs; here a cell costs a few milliseconds. suites/*.bats call it once a test.
set -u

usage() {
	cat <<'EOF'
usage: scenario.sh [--variant mnt|net] MECH SCENARIO[:ENTRY,...]...
       scenario.sh --observe PROBE [ARG...]
Measures each SCENARIO for mechanism MECH, one cell per entry point, and prints
a line a cell: "VERDICT MECH SCENARIO ENTRY NAMESPACES: OBSERVED (DETAIL)".
  MECH      sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo
            unix-path unix-abstract | pipe socketpair eventfd memfd
            posix-sem-unnamed signal (these only with "inherited")
  SCENARIO  host-to-ns (entries: clone,clone3,unshare,util-linux)
            ns-to-host, sibling, same-name (clone; or clone3, unshare)
            join (setns,pidfd,util-linux)
            inherited (clone,clone3,unshare)
  --variant the new IPC namespace comes with a mount (fresh /dev/shm and
            /dev/mqueue) or a network namespace
  --observe runs PROBE (a name in IPCNS_PROBES, or a path), which measures
            many cells itself and prints a line a cell:
            OBSERVE mechanism scenario entry namespaces observed detail
            (tab-separated); each is judged against the fixtures
Environment: IPCNS_PROBES (built probes), IPCNS_FIXTURES, IPCNS_RECORD (cells
are appended there as TSV), IPCNS_NAMES (every name made is listed there),
IPCNS_RUN_ID (part of every name), IPCNS_TIMEOUT (seconds, default 10).
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
: "${IPCNS_NAMES:=/dev/null}"
: "${IPCNS_RUN_ID:=$$}"
: "${IPCNS_TIMEOUT:=10}"
export IPCNS_TIMEOUT

# As root the suite makes plain IPC namespaces; as anyone else, IPC namespaces
# owned by a new user namespace (the kernel's rootless way in).
if [ "$(id -u)" = 0 ]; then
	NS=ipc NS_OPTS=() UNSHARE_OPTS=(--ipc) NSENTER_OPTS=(--ipc) USERNS=""
else
	NS=ipc+user NS_OPTS=(--user) USERNS=user
	UNSHARE_OPTS=(--user --map-root-user --ipc)
	NSENTER_OPTS=(--user --ipc --preserve-credentials)
fi

WORK="" OBJECTS=0 CELLS=0 SKIPS=0 DEVIATIONS=0
KILL=() REMOVE=()

# Every object is removed where it was made, while its holder still lives:
# one made "inside" may well be on the host (that is what is measured). Then
# holders and servers go.
cleanup() {
	local i
	for i in "${REMOVE[@]}"; do
		# shellcheck disable=SC2086 # "WHERE MECH NAME", split on purpose
		set -- $i
		probe_cmd "$2" && at "$1" "${PROBE[@]}" remove "$3" >/dev/null 2>&1
	done
	[ "${#KILL[@]}" -gt 0 ] && kill "${KILL[@]}" 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
}

# probe_cmd MECH: the command line of MECH's probe, in the array PROBE.
probe_cmd() {
	case $1 in
		sysv-msg | sysv-sem | sysv-shm) PROBE=("$IPCNS_PROBES/probe-sysv" "${1#sysv-}") ;;
		posix-mq | posix-sem | posix-shm) PROBE=("$IPCNS_PROBES/probe-posix" "${1#posix-}") ;;
		fifo | unix-path | unix-abstract) PROBE=("$IPCNS_PROBES/probe-endpoint" "$1") ;;
		*) return 1 ;;
	esac
}

# new_name MECH: a name no other run or scenario uses, in NAME.
new_name() {
	OBJECTS=$((OBJECTS + 1))
	case $1 in
		fifo | unix-path) NAME=$WORK/o$OBJECTS ;;
		*) NAME=ipcns-$IPCNS_RUN_ID-$$-$OBJECTS ;;
	esac
}

# at WHERE CMD...: run CMD on the host ("host"); in a new namespace through an
# entry point ("clone", "clone3", "unshare", "util-linux"); or in the
# namespaces of holder PID ("setns:PID", "pidfd:PID", "nsenter:PID"). ipcns
# bounds its command; the rest get the same bound from timeout(1), so that a
# probe that hangs (or a tool) becomes a failed cell, not a hung suite.
at() {
	local where=$1
	shift
	case $where in
		host) timeout -k 1 "$IPCNS_TIMEOUT" "$@" ;;
		clone | clone3 | unshare) "$IPCNS_PROBES/ipcns" --entry "$where" "${NS_OPTS[@]}" -- "$@" ;;
		util-linux) timeout -k 1 "$IPCNS_TIMEOUT" unshare "${UNSHARE_OPTS[@]}" -- "$@" ;;
		setns:* | pidfd:*)
			"$IPCNS_PROBES/ipcns" --join "${where#*:}" --entry "${where%%:*}" -- "$@" ;;
		nsenter:*) timeout -k 1 "$IPCNS_TIMEOUT" nsenter --target "${where#*:}" \
			"${NSENTER_OPTS[@]}" -- "$@" ;;
	esac
}

# capture CMD...: run CMD; RC, OUT and ERR (the first line of its stderr: the
# reason, in the probe's own words) hold the result. A tool that fails before
# the probe runs (util-linux unshare/nsenter exit 1, like a probe's "not
# reachable") must not pass for an observation: its failure becomes
# "unsupported" where the kernel refused, else an error.
capture() {
	RC=0
	OUT=$("$@" 2>"$WORK/err") || RC=$?
	ERR=""
	IFS= read -r ERR <"$WORK/err"
	ERR=${ERR//$'\t'/ }
	case $RC:$ERR in
		0:*) ;;
		*:unshare:* | *:nsenter:*)
			if refusal "$ERR" "$USERNS"; then RC=4 ERR=$REASON; else RC=3; fi ;;
		124:* | 137:*) ERR="timed out after ${IPCNS_TIMEOUT} s${ERR:+: $ERR}" ;;
	esac
}

# hold [ENTRY]: a new namespace kept alive, its pid in HOLDER; SETUP says why not.
hold() {
	capture at host "$IPCNS_PROBES/ipcns" --entry "${1:-clone}" "${NS_OPTS[@]}" --hold
	case $RC in
		0) HOLDER=$OUT KILL+=("$OUT") ;;
		4) SETUP_SKIP="making the namespace: $ERR" ;;
		*) SETUP="making the namespace: exit $RC: $ERR" ;;
	esac
	return "$RC"
}

# make_at WHERE MECH VALUE: a fresh object holding VALUE at WHERE, then the
# positive control: the same probe at the same place must read VALUE back.
# On failure SETUP (or SETUP_SKIP, for "unsupported") says why.
make_at() {
	local where=$1 mech=$2 value=$3
	new_name "$mech"
	probe_cmd "$mech"
	# Logged before it exists: a run killed right after still finds it.
	REMOVE+=("$where $mech $NAME")
	echo "$mech $NAME" >>"$IPCNS_NAMES"
	capture at "$where" "${PROBE[@]}" create "$NAME" "$value"
	case $RC in
		0) ;;
		4) SETUP_SKIP=$ERR; return 1 ;;
		*) SETUP="create at $where: exit $RC: $ERR"; return 1 ;;
	esac
	case $mech in fifo | unix-*) KILL+=("$OUT") ;; esac
	capture at "$where" "${PROBE[@]}" get "$NAME"
	if [ "$RC" != 0 ] || [ "$OUT" != "$value" ]; then
		SETUP="positive control failed: get at $where: exit $RC, read '$OUT', wanted $value: $ERR"
		return 1
	fi
}

# look WHERE MECH NAME VALUE: can WHERE reach the object? OBSERVED becomes
# isolated, shared, skip, or "" (no valid observation); DETAIL says how.
look() {
	local where=$1
	probe_cmd "$2"
	capture at "$where" "${PROBE[@]}" get "$3"
	OBSERVED="" DETAIL=$ERR
	case $RC in
		0)
			if [ "$OUT" = "$4" ]; then
				OBSERVED=shared DETAIL="get at $where read the object's value $4"
			else
				DETAIL="get at $where read '$OUT', not the object's value $4"
			fi
			;;
		1) OBSERVED=isolated ;;
		4) OBSERVED=skip ;;
		*) DETAIL="get at $where: exit $RC: $ERR" ;;
	esac
}

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

# expected MECH SCENARIO NAMESPACES: the first matching row of the fixtures
# (fixtures/*.tsv in name order; mechanism, scenario and namespaces are extglob
# patterns, kernel a version bound) gives EXPECTED and WHY. "any" expects only
# that something valid was observed: for behaviour that distributions backport.
expected() {
	local m s n k e why
	EXPECTED="" WHY="no row in fixtures/"
	shopt -s extglob
	while read -r m s n k e why; do
		case $m in '#'* | '') continue ;; esac
		# shellcheck disable=SC2254 # the fixture's fields are patterns
		case $1 in $m) case $2 in $s) case $3 in $n)
			kernel_matches "$k" || continue
			EXPECTED=$e WHY=$why
			return ;;
		esac ;; esac ;; esac
	done < <(cat "$IPCNS_FIXTURES"/*.tsv)
}

# cell MECH SCENARIO ENTRY: judge OBSERVED against the expectation, record it.
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

# setup_failed MECH SCENARIO ENTRY...: every cell a scenario meant to measure
# is recorded as skipped (unsupported) or as a failure, with SETUP's reason.
setup_failed() {
	local mech=$1 scen=$2 entry
	shift 2
	for entry; do
		if [ -n "$SETUP_SKIP" ]; then
			OBSERVED=skip DETAIL=$SETUP_SKIP
		else
			OBSERVED="" DETAIL=$SETUP
		fi
		cell "$mech" "$scen" "$entry"
	done
}

# The scenarios: MECH, then the entry points to measure.

# An object on the host, looked for from new namespaces made through each entry.
host_to_ns() {
	local mech=$1 entry
	shift
	if ! make_at host "$mech" 101; then
		setup_failed "$mech" host-to-ns "$@"
		return
	fi
	for entry; do
		if [ "$entry" = util-linux ] && ! command -v unshare >/dev/null; then
			OBSERVED=skip DETAIL="util-linux unshare is not installed"
		else
			look "$entry" "$mech" "$NAME" 101
		fi
		cell "$mech" host-to-ns "$entry"
	done
}

# An object made in a new namespace, looked for from the host.
ns_to_host() {
	local mech=$1
	if ! { hold "$2" && make_at "setns:$HOLDER" "$mech" 102; }; then
		setup_failed "$mech" ns-to-host "$2"
		return
	fi
	look host "$mech" "$NAME" 102
	cell "$mech" ns-to-host "$2"
}

# An object in one new namespace, looked for from a sibling.
sibling() {
	local mech=$1 first
	if ! { hold "$2" && first=$HOLDER && hold "$2" && make_at "setns:$first" "$mech" 103; }; then
		setup_failed "$mech" sibling "$2"
		return
	fi
	look "setns:$HOLDER" "$mech" "$NAME" 103
	cell "$mech" sibling "$2"
}

# The host's name made again in a new namespace: two objects, or the same one?
# Independence is proved by value: afterwards each side still reads its own.
same_name() {
	local mech=$1 inside
	if ! { make_at host "$mech" 104 && hold "$2"; }; then
		setup_failed "$mech" same-name "$2"
		return
	fi
	probe_cmd "$mech"
	capture at "setns:$HOLDER" "${PROBE[@]}" create "$NAME" 105
	OBSERVED="" DETAIL="create in the namespace: exit $RC: $ERR"
	case $RC in
		6) OBSERVED=shared DETAIL="the name is taken in the namespace: $ERR" ;;
		4) OBSERVED=skip DETAIL=$ERR ;;
		0)
			REMOVE+=("setns:$HOLDER $mech $NAME")
			case $mech in fifo | unix-*) KILL+=("$OUT") ;; esac
			look "setns:$HOLDER" "$mech" "$NAME" 105
			inside=$OBSERVED
			look host "$mech" "$NAME" 104
			if [ "$inside" = shared ] && [ "$OBSERVED" = shared ]; then
				OBSERVED=isolated DETAIL="two objects: the host's holds 104, the namespace's 105"
			else
				OBSERVED="" DETAIL="made twice, but the values crossed: $DETAIL"
			fi
			;;
	esac
	cell "$mech" same-name "$2"
}

# A process that joins a namespace sees its objects. Where the mechanism is
# isolated at all, the host must not see the object, or joining proves nothing.
join() {
	local mech=$1 entry note=""
	shift
	if ! { hold && make_at "setns:$HOLDER" "$mech" 106; }; then
		setup_failed "$mech" join "$@"
		return
	fi
	look host "$mech" "$NAME" 106
	[ "$OBSERVED" = shared ] && note=" (the host reaches it too: this cell does not depend on the join)"
	for entry; do
		case $entry in
			util-linux)
				if command -v nsenter >/dev/null; then
					look "nsenter:$HOLDER" "$mech" "$NAME" 106
				else
					OBSERVED=skip DETAIL="util-linux nsenter is not installed"
				fi
				;;
			*) look "$entry:$HOLDER" "$mech" "$NAME" 106 ;;
		esac
		DETAIL+=$note
		cell "$mech" join "$entry"
	done
}

# A channel made before the namespace, used by a child inside it. The positive
# control is the same probe making no namespace (--entry fork).
inherited() {
	local mech=$1 entry
	shift
	capture at host "$IPCNS_PROBES/probe-inherit" --entry fork "$mech" 107
	if [ "$RC" != 0 ] || [ "$OUT" != 107 ]; then
		SETUP="positive control failed: with no new namespace: exit $RC, got '$OUT': $ERR"
		[ "$RC" = 4 ] && SETUP_SKIP=$ERR
		setup_failed "$mech" inherited "$@"
		return
	fi
	for entry; do
		capture at host "$IPCNS_PROBES/probe-inherit" --entry "$entry" "${NS_OPTS[@]}" "$mech" 107
		OBSERVED="" DETAIL="exit $RC: $ERR"
		case $RC in
			0) [ "$OUT" = 107 ] && OBSERVED=crosses DETAIL="the parent got 107 from the child" ;;
			1) OBSERVED=blocked DETAIL=$ERR ;;
			4) OBSERVED=skip DETAIL=$ERR ;;
		esac
		cell "$mech" inherited "$entry"
	done
}

# entries_for SCENARIO[:ENTRY,...]: SCEN and its ENTRIES (the default ones,
# or those asked for, each checked against what the scenario can use).
entries_for() {
	local all e
	SCEN=${1%%:*}
	case $SCEN in
		host-to-ns) all=clone,clone3,unshare,util-linux ;;
		ns-to-host | sibling | same-name) all=clone ;;
		join) all=setns,pidfd,util-linux ;;
		inherited) all=clone,clone3,unshare ;;
		*) echo "scenario.sh: unknown scenario '$SCEN'" >&2; usage >&2; return 2 ;;
	esac
	IFS=, read -r -a ENTRIES <<<"${all}"
	[ "$1" = "$SCEN" ] && return 0
	# ns-to-host, sibling and same-name make their holders through any entry
	[ "$all" = clone ] && all=clone,clone3,unshare
	IFS=, read -r -a ENTRIES <<<"${1#*:}"
	for e in "${ENTRIES[@]}" ""; do
		[ -z "$e" ] && [ "${#ENTRIES[@]}" -gt 0 ] && return 0
		case ,$all, in *,"$e",*) ;; *)
			echo "scenario.sh: '$e' is not an entry point for $SCEN (one of $all)" >&2
			usage >&2
			return 2 ;;
		esac
	done
}

# observe COMMAND...: a probe that measures many cells in one process prints
# a line a cell, "OBSERVE<TAB>mechanism<TAB>scenario<TAB>entry<TAB>namespaces
# <TAB>observed<TAB>detail" (observed "skip": detail is the reason; empty: no
# valid observation). Each is judged here like any other cell. A probe that
# fails outright is a failed cell of its own.
observe() {
	local tag mech scen entry ns observed detail n=0
	capture at host "$@"
	# Tabs are whitespace to read, and would merge an empty observed value
	# with its neighbour: split on a separator that is not.
	while IFS=$'\x1f' read -r tag mech scen entry ns observed detail; do
		[ "$tag" = OBSERVE ] || continue
		n=$((n + 1))
		NS=$ns OBSERVED=$observed DETAIL=${detail//$'\t'/ }
		cell "$mech" "$scen" "$entry"
	done <<<"${OUT//$'\t'/$'\x1f'}"
	if [ "$RC" != 0 ] || [ "$n" = 0 ]; then
		NS=- OBSERVED="" DETAIL="${1##*/} exited $RC after $n observations: $ERR"
		cell "${1##*/}" "${2:-}" -
	fi
}

main() {
	local mech spec
	if [ "${1:-}" = --observe ]; then
		shift
		[ $# -gt 0 ] || { usage >&2; return 2; }
		WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipcns.XXXXXX") || return 3
		trap cleanup EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		case $1 in */*) ;; *) set -- "$IPCNS_PROBES/$1" "${@:2}" ;; esac
		observe "$@"
		[ "$DEVIATIONS" -gt 0 ] && return 1
		[ "$SKIPS" = "$CELLS" ] && return 77
		return 0
	fi
	if [ "${1:-}" = --variant ]; then
		case ${2:-} in
			mnt | net) NS+=+$2 NS_OPTS+=("--$2") ;;
			*) echo "scenario.sh: --variant takes mnt or net" >&2; usage >&2; return 2 ;;
		esac
		shift 2
	fi
	mech=${1:-}
	if [ $# -lt 2 ]; then
		usage >&2
		return 2
	fi
	shift
	case $mech in
		pipe | socketpair | eventfd | memfd | posix-sem-unnamed | signal) ;;
		*) probe_cmd "$mech" || { echo "scenario.sh: unknown mechanism '$mech'" >&2; usage >&2; return 2; } ;;
	esac
	for spec; do
		entries_for "$spec" || return 2
	done

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipcns.XXXXXX") || return 3
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for spec; do
		entries_for "$spec"
		SETUP="" SETUP_SKIP=""
		"${SCEN//-/_}" "$mech" "${ENTRIES[@]}"
	done
	[ "$DEVIATIONS" -gt 0 ] && return 1
	[ "$SKIPS" = "$CELLS" ] && return 77
	return 0
}

main "$@"
