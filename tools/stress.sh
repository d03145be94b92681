#!/usr/bin/env bash
# The opt-in stress suite (not part of ./run-tests.sh): makes and destroys
# many IPC namespaces with objects in them (churn, built from tools/churn.c
# beside the probes but not one of them), then checks that
# none failed, none leaked onto the host, and that the kernel's count of IPC
# namespaces came back; reports the rate next to a plain `unshare --ipc true`
# loop.
set -u

usage() {
	cat <<'EOF'
usage: tools/stress.sh [--namespaces N] [--seconds S] [--build DIR]
Makes and destroys N IPC namespaces (1..1000000, default 2000) one after
another, for at most S seconds (1..3000, default 60), each with a SysV message
queue, semaphore set and shared memory segment (pages touched) and a POSIX
message queue, made and read back inside and looked for on the host; then as
many `unshare --ipc true` (as long at most) for comparison. Passes when every
namespace and object was made, none was seen on the host, the count of IPC
namespaces is back (max_ipc_namespaces headroom in churn's own user
namespace), and no SysV object, /dev/shm or /dev/mqueue entry, or process of
the run is left.
  --build DIR  Meson build directory (default: build/ in the source tree;
               built when needed): its tools/churn and probes/ipcns.
               IPCNS_CHURN and IPCNS_PROBES: a built churn, built probes.
               (An installed tree has no churn: this runs from the source.)
exit: 0 pass, 1 a failure (what failed is printed), 2 usage,
      3 cannot run here (no churn or probes, or no user namespaces: named)
EOF
}

say() { printf 'stress: %s\n' "$*"; }
usage_error() { printf 'stress: %s\n' "$1" >&2; usage >&2; exit 2; }

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
namespaces=2000 seconds=60 build=$src/build
while [ $# -gt 0 ]; do
	case $1 in
		--namespaces | --seconds | --build)
			{ [ $# -ge 2 ] && [ -n "$2" ]; } || usage_error "$1 needs a value"
			case $1 in
				--build) build=$2 ;;
				--namespaces) namespaces=$2 ;;
				--seconds) seconds=$2 ;;
			esac
			shift 2 ;;
		-h | --help) usage; exit 0 ;;
		*) usage_error "unknown argument '$1'" ;;
	esac
done
# As text first: bash arithmetic would take "1e3" for 0 and wrap long numbers.
{ [[ $namespaces =~ ^[1-9][0-9]{0,6}$ ]] && [ "$namespaces" -le 1000000 ]; } ||
	usage_error "--namespaces wants 1..1000000, got '$namespaces'"
{ [[ $seconds =~ ^[1-9][0-9]{0,3}$ ]] && [ "$seconds" -le 3000 ]; } ||
	usage_error "--seconds wants 1..3000, got '$seconds'"

# churn and the probes (ipcns): given, or built like ./run-tests.sh builds them.
if [ -z "${IPCNS_PROBES:-}" ] || [ -z "${IPCNS_CHURN:-}" ]; then
	build=$("$src/run-tests.sh" --build-only --build "$build") ||
		{ say "cannot run: building the probes failed (above)" >&2; exit 3; }
fi
probes=${IPCNS_PROBES:-$build/probes} churn_exe=${IPCNS_CHURN:-$build/tools/churn}
[ -x "$churn_exe" ] || { say "cannot run: no churn at $churn_exe" >&2; exit 3; }
[ -x "$probes/ipcns" ] || { say "cannot run: no ipcns in $probes" >&2; exit 3; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-stress.XXXXXX") || { say "cannot run: no temporary directory" >&2; exit 3; }
# Every process of the run carries this mark in its environment: whatever
# still does at the end was left behind.
mark=IPCNS_STRESS_RUN=$$-$(date +%s%N)
job=""
# A signal ends the running step through its reaper, which passes it on.
# shellcheck disable=SC2317 # reached through the trap
on_signal() {
	[ -n "$job" ] && kill -TERM "$job" 2>/dev/null && wait "$job"
	say "interrupted: stopped" >&2
	exit 1
}
trap on_signal INT TERM HUP
trap 'rm -rf "$work"' EXIT

# The host's IPC objects and the limit, one a line, to compare afterwards.
snapshot() {
	local k
	for k in msg sem shm; do
		[ -r "/proc/sysvipc/$k" ] && awk -v k="$k" 'NR > 1 { print "sysv-" k " key=" $1 }' "/proc/sysvipc/$k"
	done
	[ -d /dev/shm ] && find /dev/shm -mindepth 1 -maxdepth 1
	mountpoint -q /dev/mqueue 2>/dev/null && find /dev/mqueue -mindepth 1 -maxdepth 1
	[ -r /proc/sys/user/max_ipc_namespaces ] && echo "max_ipc_namespaces=$(cat /proc/sys/user/max_ipc_namespaces)"
}

# run_bounded SECONDS OUT ERR CMD...: CMD with the mark, under the project's
# reaper (ipcns --reap: bounded, orphans ended with it, a signal passed on
# to CMD's process group); RC its exit code.
run_bounded() {
	local bound=$1 out=$2 err=$3
	shift 3
	env "$mark" "$probes/ipcns" --entry fork --reap -t "$bound" -- "$@" >"$out" 2>"$err" &
	job=$!
	RC=0
	wait "$job" || RC=$?
	job=""
}

failures=()
fail() { failures+=("$*"); }

snapshot | sort >"$work/before"

# 1. churn: every wait inside is bounded; this bounds the whole.
run_bounded $((seconds + 60)) "$work/churn" "$work/churn.err" \
	"$churn_exe" "$namespaces" "$seconds"
churn_rc=$RC
declare -A churn=() headroom=() host=()
while read -r tag words; do
	for w in $words; do
		case $tag in
			CHURN) churn[${w%%=*}]=${w#*=} ;;
			HEADROOM) headroom[${w%%=*}]=${w#*=} ;;
			HOST) host[${w%%=*}]=${w#*=} ;;
		esac
	done
done <"$work/churn"
if [ "$churn_rc" = 4 ]; then
	say "cannot run: $(tail -n 1 "$work/churn.err")" >&2
	exit 3
fi
case $churn_rc in
	0) ;;
	5) fail "churn timed out: $(paste -s -d ';' "$work/churn.err")" ;;
	*) fail "churn exited $churn_rc: $(paste -s -d ';' "$work/churn.err")" ;;
esac
if [ -n "${churn[made]:-}" ]; then
	say "churn: ${churn[made]} of $namespaces IPC namespaces in ${churn[seconds]} s:" \
		"${churn[per_second]} per second (each with a msg queue, sem set, shm segment" \
		"and$([ "${churn[mq]}" = yes ] || echo ' no') POSIX mq; one process a namespace," \
		"in a user namespace of its own)"
	[ "${churn[stopped]}" = time ] && say "churn: stopped by the bound of $seconds s"
	say "ENOSPC: ${churn[enospc]} namespaces needed a retry (${churn[retries]} retries in all)"
	[ "${churn[made]}" = "$namespaces" ] || [ "${churn[stopped]}" = time ] ||
		fail "only ${churn[made]} of $namespaces IPC namespaces were made"
else
	fail "churn printed no CHURN line"
fi
if [ "${headroom[held]:-}" = - ]; then
	say "count of IPC namespaces: not observable (no /proc/sys/user/max_ipc_namespaces)"
elif [ -n "${headroom[held]:-}" ]; then
	say "count of IPC namespaces back: ${headroom[held]} fit under max_ipc_namespaces=${headroom[limit]}" \
		"beside churn's own, the next one: ${headroom[extra]} (${headroom[waited_ms]} ms," \
		"${headroom[retries]} ENOSPC retries)"
fi
[ -n "${host[checked]:-}" ] &&
	say "host: looked for the objects of ${host[checked]} live namespaces: seen ${host[visible]} times"

# 2. The same with util-linux, an exec per namespace, for comparison.
if [ "$(id -u)" = 0 ]; then
	cmp=(unshare --ipc true)
else
	cmp=(unshare --user --map-root-user --ipc true)
fi
# The loop keeps its own time (killing it mid-namespace would leave processes
# exiting) and prints how many it made in how many microseconds; the reaper's
# bound is the net.
# shellcheck disable=SC2016 # expanded by the inner bash
run_bounded $((seconds + 10)) "$work/unshare" "$work/unshare.err" bash -c '
	n=$1 start=${EPOCHREALTIME/[.,]/}
	end=$((start + $2 * 1000000))
	shift 2
	for ((i = 0; i < n && ${EPOCHREALTIME/[.,]/} < end; i++)); do
		"$@" || { echo "$i"; exit 1; }
	done
	echo "$i $((${EPOCHREALTIME/[.,]/} - start))"' _ "$namespaces" "$seconds" "${cmp[@]}"
made=0 micros=""
read -r made micros <"$work/unshare"
if [ "$RC" = 0 ]; then
	say "${cmp[*]}: $made of $namespaces IPC namespaces in" \
		"$(awk -v n="$made" -v us="$micros" 'BEGIN { printf "%.3f s: %.0f", us / 1e6, n * 1e6 / us }')" \
		"per second (an exec per namespace)$([ "$made" = "$namespaces" ] || echo "; stopped by the bound of $seconds s")"
else
	fail "${cmp[*]} failed after $made namespaces (exit $RC): $(paste -s -d ';' "$work/unshare.err")"
fi
left=$(grep -lzxF "$mark" /proc/[0-9]*/environ 2>/dev/null)
[ -n "$left" ] && fail "processes left behind: $(echo "$left" | tr -dc '0-9\n' | paste -s -d ' ')"

# 3. The host as it was: nothing of ours (its key, its name) left; anything
# else that changed is someone else's, and said.
snapshot | sort >"$work/after"
key=${host[key]:-} name=${host[name]:-}
ours() {
	[ -n "$key" ] && case $1 in "sysv-"*" key=$key" | */"${name#/}") return 0 ;; esac
	return 1
}
while read -r obj; do
	if ours "$obj"; then
		fail "leaked onto the host: $obj"
	elif [[ $obj == max_ipc_namespaces=* ]]; then
		fail "the host's $obj changed (before: $(grep '^max_ipc' "$work/before"))"
	else
		say "appeared during the run, not made by it: $obj"
	fi
done < <(comm -13 "$work/before" "$work/after")
if [ "${#failures[@]}" -gt 0 ]; then
	printf 'stress: FAIL: %s\n' "${failures[@]}"
	exit 1
fi
say "PASS: no failure, nothing of the run left on the host, the count of IPC namespaces back"
exit 0
