#!/usr/bin/env bash
# probe-util-linux: what util-linux's tools show across IPC namespaces (the
# seed note's terminal session, as cells; a probe in shell, for what it
# measures is the commands). ipcmk makes a message queue, a semaphore set and
# a shared memory segment on the host; ipcs from another process lists them
# (the control), ipcs and lsipc in a new IPC namespace do not; nsenter lists
# what was made in a held namespace, plain ipcs does not; lsns lists the held
# namespace; ipcrm removes the host's objects; a namespace held only by the
# bind mount of unshare --ipc=FILE keeps a segment for nsenter --ipc=FILE.
# One OBSERVE line a cell (scenario.sh --observe). Every tool call is bounded
# by timeout(1); the host's objects and the holder go on exit, whatever happens.
set -u
export LC_ALL=C # the tools' headings and error messages, in one language

usage() {
	cat <<'EOF'
usage: probe-util-linux [-t SECONDS]
Measures what ipcmk, ipcs, lsipc, nsenter, lsns, ipcrm and unshare --ipc=FILE
show across IPC namespaces and prints one OBSERVE line a cell, tab-separated:
  OBSERVE mechanism scenario util-linux namespaces observed detail
  -t  bound on every tool call, 1..3600 s (default 10, or IPCNS_TIMEOUT)
Environment: IPCNS_PROBES (ipcns and probe-sysv; default: the directory it is
run from), IPCNS_TIMEOUT, IPCNS_RUN_ID, IPCNS_NAMES.
exit: 0 measured (whatever was observed), 2 usage, 3 error
EOF
}
usage_error() { echo "probe-util-linux: $1" >&2; usage >&2; exit 2; }

# suites/lib.sh (the judge's too) is beside its real directory, through any
# links (the build's probes directory, the install's), in either tree.
self=$(readlink -f "${BASH_SOURCE[0]}") here=${self%/*}
# shellcheck source-path=SCRIPTDIR source=../suites/lib.sh
. "$here/../suites/lib.sh" || { echo "probe-util-linux: no $here/../suites/lib.sh" >&2; exit 3; }
# The other probes: those of the directory it is run from, else the build's.
if [ -z "${IPCNS_PROBES:-}" ]; then
	IPCNS_PROBES=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	[ -x "$IPCNS_PROBES/ipcns" ] || IPCNS_PROBES=$here/../build/probes
fi
: "${IPCNS_TIMEOUT:=10}" "${IPCNS_RUN_ID:=$$}"
# As text first: bash arithmetic would take "1e3" for 0 and wrap long numbers.
seconds() { [[ $1 =~ ^[1-9][0-9]{0,3}$ ]] && [ "$1" -le 3600 ]; }
seconds "$IPCNS_TIMEOUT" || usage_error "IPCNS_TIMEOUT='${IPCNS_TIMEOUT:0:32}' is not a number of seconds in 1..3600"
if [ "${1:-}" = -t ]; then
	IPCNS_TIMEOUT=${2:-}
	seconds "$IPCNS_TIMEOUT" || usage_error "-t wants seconds in 1..3600, got '${IPCNS_TIMEOUT:0:32}'"
	shift 2
fi
export IPCNS_PROBES IPCNS_TIMEOUT
# shellcheck source-path=SCRIPTDIR source=lib/util-linux.sh
. "$here/lib/util-linux.sh" || { echo "probe-util-linux: no $here/lib/util-linux.sh" >&2; exit 3; }
VALUE=4242

# As root, plain IPC namespaces; as anyone else, owned by a new user namespace.
if [ "$(id -u)" = 0 ]; then
	NS=ipc UNSHARE_OPTS=(--ipc) NSENTER_OPTS=(--ipc) HOLD_OPTS=() PRIVATE_MNT=() USERNS=""
else
	NS=ipc+user USERNS=user UNSHARE_OPTS=(--user --map-root-user --ipc)
	NSENTER_OPTS=(--user --ipc --preserve-credentials) HOLD_OPTS=(--user)
	PRIVATE_MNT=(--user --map-root-user)
fi
PRIVATE_MNT+=(--mount --propagation private)

MECHS=(sysv-msg sysv-sem sysv-shm)
declare -A KIND=([sysv-msg]=q [sysv-sem]=s [sysv-shm]=m) # ipcs and ipcrm letter
declare -A MAKE=([sysv-msg]=-Q [sysv-sem]="-S 9" [sysv-shm]="-M 1024")
declare -A HOST_ID=() HOST_KEY=() NS_ID=()
WORK="" HOLDER="" CRITICAL="" PENDING=""

# on_host ROWS MECH: do ROWS list the host's object of MECH?
on_host() {
	grep -qxF "${KIND[$2]} ${HOST_KEY[$2]} ${HOST_ID[$2]}" <<<"$1"
}

# Stopped for want of a kernel feature or a privilege: a skip, not a
# failure; REASON names what would enable it.
refused() {
	refusal "$ERR" "$USERNS"
}

cleanup() {
	local mech
	for mech in "${!HOST_ID[@]}"; do
		t ipcrm "-${KIND[$mech]}" "${HOST_ID[$mech]}" >/dev/null 2>&1
	done
	[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
}

# The seed's three objects, on the host, and ipcs's rows for them (the
# control of the cells to come) in HOST_IPCS. On failure SETUP says why
# (SETUP_SKIP too, where the kernel or privilege lacks what it takes).
make_host_objects() {
	local mech
	for mech in "${MECHS[@]}"; do
		# shellcheck disable=SC2086 # "-S 9": an option and its argument
		critical capture t ipcmk ${MAKE[$mech]}
		[[ $OUT =~ id:\ ([0-9]+)$ ]] && HOST_ID[$mech]=${BASH_REMATCH[1]} # removed on exit
		end_critical
		[ -n "${HOST_ID[$mech]:-}" ] && continue
		refused && SETUP_SKIP="ipcmk ${MAKE[$mech]}: $REASON"
		SETUP="ipcmk ${MAKE[$mech]}: exit $RC: $ERR"
		return 1
	done
	ipcs_rows || { SETUP="ipcs: exit $RC: $ERR"; return 1; }
	HOST_IPCS=$ROWS
	for mech in "${MECHS[@]}"; do
		HOST_KEY[$mech]=$(key_of "$ROWS" "${KIND[$mech]}" "${HOST_ID[$mech]}")
	done
}

# tool-ipcs-host: ipcs from another process, on the host: the control.
ipcs_host() {
	local mech
	for mech in "${MECHS[@]}"; do
		if [ -n "${HOST_KEY[$mech]}" ]; then
			observe "$mech" tool-ipcs-host "$NS" shared "ipcs from another process lists id ${HOST_ID[$mech]} (key ${HOST_KEY[$mech]}), made by ipcmk ${MAKE[$mech]}"
		else
			observe "$mech" tool-ipcs-host "$NS" isolated "ipcs from another process does not list id ${HOST_ID[$mech]}, made by ipcmk ${MAKE[$mech]}"
		fi
	done
}

# isolation_cells SCENARIO TOOL CONTROL_ROWS: ROWS, from "unshare ... TOOL"
# (exit RC), against the host's objects; CONTROL_ROWS are TOOL's rows on the
# host, which must list them.
isolation_cells() {
	local scen=$1 tool=$2 control=$3 mech
	for mech in "${MECHS[@]}"; do
		if [ "$RC" != 0 ]; then
			if refused; then
				observe "$mech" "$scen" "$NS" skip "unshare ${UNSHARE_OPTS[*]} $tool: $REASON"
			else
				observe "$mech" "$scen" "$NS" "" "unshare ${UNSHARE_OPTS[*]} $tool: exit $RC: $ERR"
			fi
		elif ! on_host "$control" "$mech"; then
			observe "$mech" "$scen" "$NS" "" "positive control failed: on the host, $tool does not list id ${HOST_ID[$mech]}"
		elif on_host "$ROWS" "$mech"; then
			observe "$mech" "$scen" "$NS" shared "unshare ${UNSHARE_OPTS[*]} $tool lists the host's id ${HOST_ID[$mech]} (key ${HOST_KEY[$mech]})"
		else
			observe "$mech" "$scen" "$NS" isolated "unshare ${UNSHARE_OPTS[*]} $tool does not list the host's id ${HOST_ID[$mech]} (key ${HOST_KEY[$mech]}); $tool on the host does"
		fi
	done
}

# tool-unshare-ipcs and tool-lsipc-ns.
new_namespace_cells() {
	local mech host_lsipc
	ipcs_rows unshare "${UNSHARE_OPTS[@]}" --
	isolation_cells tool-unshare-ipcs ipcs "$HOST_IPCS"
	if ! command -v lsipc >/dev/null; then
		for mech in "${MECHS[@]}"; do
			observe "$mech" tool-lsipc-ns "$NS" skip "util-linux lsipc is not installed"
		done
		return
	fi
	lsipc_rows
	host_lsipc=$ROWS
	lsipc_rows unshare "${UNSHARE_OPTS[@]}" --
	isolation_cells tool-lsipc-ns "lsipc --json" "$host_lsipc"
}

# A new namespace kept alive, its pid in HOLDER. On failure WHY says why:
# "skip REASON" or "- REASON".
hold() {
	[ -n "$HOLDER" ] && return
	critical capture t "$IPCNS_PROBES/ipcns" "${HOLD_OPTS[@]}" --hold
	if [ "$RC" = 0 ] && [[ $OUT =~ ^[1-9][0-9]*$ ]]; then
		HOLDER=$OUT
		end_critical
		return
	fi
	end_critical
	[ "$RC" = 4 ] && WHY="skip ipcns --hold: $ERR" || WHY="- ipcns --hold: exit $RC: $ERR"
	return 1
}

# The seed's three objects, made in the held namespace through nsenter;
# NS_ID gets their ids. On failure WHY says why.
hold_and_make() {
	command -v nsenter >/dev/null || { WHY="skip util-linux nsenter is not installed"; return 1; }
	hold || return 1
	capture t nsenter --target "$HOLDER" "${NSENTER_OPTS[@]}" -- \
		sh -c 'ipcmk -Q && ipcmk -S 9 && ipcmk -M 1024'
	if [ "$RC" != 0 ]; then
		if refused; then WHY="skip nsenter ipcmk: $REASON"; else WHY="- nsenter ipcmk: exit $RC: $ERR"; fi
		return 1
	fi
	# "Message queue id: 0", "Semaphore id: 0", "Shared memory id: 0"
	[[ $OUT =~ queue\ id:\ ([0-9]+) ]] && NS_ID[sysv-msg]=${BASH_REMATCH[1]}
	[[ $OUT =~ Semaphore\ id:\ ([0-9]+) ]] && NS_ID[sysv-sem]=${BASH_REMATCH[1]}
	[[ $OUT =~ memory\ id:\ ([0-9]+) ]] && NS_ID[sysv-shm]=${BASH_REMATCH[1]}
}

# tool-nsenter: nsenter ipcs lists what was made in the held namespace; plain
# ipcs on the host must not, or the join proves nothing.
nsenter_cells() {
	local mech key inside host
	if ! hold_and_make; then
		for mech in "${MECHS[@]}"; do
			observe "$mech" tool-nsenter "$NS" "$([ "${WHY%% *}" = skip ] && echo skip)" "${WHY#* }"
		done
		return
	fi
	ipcs_rows nsenter --target "$HOLDER" "${NSENTER_OPTS[@]}" -- || WHY="nsenter ipcs: exit $RC: $ERR"
	inside=$ROWS
	ipcs_rows || WHY="ipcs: exit $RC: $ERR"
	host=$ROWS
	for mech in "${MECHS[@]}"; do
		key=$(key_of "$inside" "${KIND[$mech]}" "${NS_ID[$mech]:-none}")
		if [ -n "${WHY:-}" ]; then
			observe "$mech" tool-nsenter "$NS" "" "$WHY"
		elif [ -z "$key" ]; then
			observe "$mech" tool-nsenter "$NS" isolated "nsenter --target HOLDER ipcs does not list id ${NS_ID[$mech]:-?}, made there by ipcmk ${MAKE[$mech]}"
		elif grep -qxF "${KIND[$mech]} $key ${NS_ID[$mech]}" <<<"$host"; then
			observe "$mech" tool-nsenter "$NS" "" "control failed: plain ipcs on the host lists id ${NS_ID[$mech]} (key $key) too"
		else
			observe "$mech" tool-nsenter "$NS" shared "nsenter --target HOLDER ipcs lists id ${NS_ID[$mech]} (key $key), made there by ipcmk ${MAKE[$mech]}; plain ipcs does not"
		fi
	done
}

# tool-lsns: the held namespace's inode among those lsns -t ipc lists; the
# control is our own IPC namespace, which it must list too.
lsns_cell() {
	local held mine
	if ! command -v lsns >/dev/null; then
		observe ipc-ns tool-lsns "$NS" skip "util-linux lsns is not installed"
		return
	fi
	if ! hold; then
		observe ipc-ns tool-lsns "$NS" "$([ "${WHY%% *}" = skip ] && echo skip)" "${WHY#* }"
		return
	fi
	held=$(stat -L -c %i "/proc/$HOLDER/ns/ipc") mine=$(stat -L -c %i /proc/self/ns/ipc)
	capture t lsns -t ipc -n -o NS
	if ! grep -qxF "$mine" <<<"${OUT// /}"; then
		observe ipc-ns tool-lsns "$NS" "" "positive control failed: lsns -t ipc (exit $RC) does not list our own namespace $mine: $ERR"
	elif grep -qxF "$held" <<<"${OUT// /}"; then
		observe ipc-ns tool-lsns "$NS" listed "lsns -t ipc lists the held namespace $held (and ours, $mine)"
	else
		observe ipc-ns tool-lsns "$NS" missing "lsns -t ipc lists ours, $mine, but not the held namespace $held"
	fi
}

# tool-ipcrm: one ipcrm for the three, then ipcs must not list them.
ipcrm_cells() {
	local mech args=() rm_rc rm_err
	for mech in "${MECHS[@]}"; do args+=("-${KIND[$mech]}" "${HOST_ID[$mech]}"); done
	capture t ipcrm "${args[@]}"
	rm_rc=$RC rm_err=$ERR
	ipcs_rows || ROWS=failed
	for mech in "${MECHS[@]}"; do
		if [ "$ROWS" = failed ]; then
			observe "$mech" tool-ipcrm "$NS" "" "ipcs after ipcrm: exit $RC: $ERR"
		elif ! on_host "$HOST_IPCS" "$mech"; then
			observe "$mech" tool-ipcrm "$NS" "" "positive control failed: ipcs did not list id ${HOST_ID[$mech]} before"
		elif on_host "$ROWS" "$mech"; then
			observe "$mech" tool-ipcrm "$NS" kept "after ipcrm (exit $rm_rc: $rm_err) ipcs still lists id ${HOST_ID[$mech]}"
		else
			observe "$mech" tool-ipcrm "$NS" removed "after ipcrm ${args[*]}, ipcs no longer lists id ${HOST_ID[$mech]}"
			unset "HOST_ID[$mech]"
		fi
	done
}

# held-by-bind-mount: this script again, in a throwaway private mount
# namespace, where unshare --ipc=FILE may bind-mount the namespace.
bind_mount_cell() {
	local ns=$NS+mnt
	if ! command -v nsenter >/dev/null; then
		observe sysv-shm held-by-bind-mount "$ns" skip "util-linux nsenter is not installed"
		return
	fi
	capture t unshare "${PRIVATE_MNT[@]}" -- bash "${BASH_SOURCE[0]}" --inside-mount-ns \
		"$WORK/ipc-ns" "ipcns-$IPCNS_RUN_ID-$$-bind" "$ns"
	if [ "$RC" = 0 ] && [ -n "$OUT" ]; then
		echo "$OUT"
	elif refused; then
		observe sysv-shm held-by-bind-mount "$ns" skip "unshare ${PRIVATE_MNT[*]}: $REASON"
	else
		observe sysv-shm held-by-bind-mount "$ns" "" "unshare ${PRIVATE_MNT[*]}: exit $RC: $ERR"
	fi
}

# In the throwaway mount namespace: a segment made in the namespace of
# unshare --ipc=FILE, which only FILE's bind mount holds once unshare has
# exited; then looked for through nsenter --ipc=FILE. The namespace outside
# must not have the name, or the cell proves nothing.
inside_mount_ns() {
	local file=$1 name=$2 ns=$3 probe=$IPCNS_PROBES/probe-sysv got out err
	WORK=$(mktemp -d "${file%/*}/inside.XXXXXX") || exit 3 # removed with the outer one
	: >"$file"
	# Logged before it exists (run-tests.sh sweeps what is logged); removed
	# below where it was made, and outside too: on a kernel whose namespace
	# is not really new, "inside" is the host.
	echo "sysv-shm $name" >>"${IPCNS_NAMES:-/dev/null}"
	BIND_FILE=$file BIND_NAME=$name
	trap remove_bind_segment EXIT
	# shellcheck disable=SC2016 # expanded by that sh
	capture t unshare --ipc="$file" -- sh -c '"$1" shm create "$2" "$3" && "$1" shm get "$2"' \
		sh "$probe" "$name" "$VALUE"
	if [ "$RC" != 0 ] || [ "$OUT" != "$VALUE" ]; then
		if [ "$RC" != 0 ] && refused; then
			observe sysv-shm held-by-bind-mount "$ns" skip "unshare --ipc=FILE: $REASON"
		else
			observe sysv-shm held-by-bind-mount "$ns" "" "positive control failed: in unshare --ipc=FILE: exit $RC, read '$OUT': $ERR"
		fi
		return
	fi
	capture t nsenter --ipc="$file" -- "$probe" shm get "$name"
	got=$RC out=$OUT err=$ERR
	capture t "$probe" shm get "$name"
	if [ "$RC" != 1 ]; then
		observe sysv-shm held-by-bind-mount "$ns" "" "control failed: outside, probe-sysv shm get $name exits $RC, not 1 (absent)"
	elif [ "$got" = 0 ] && [ "$out" = "$VALUE" ]; then
		observe sysv-shm held-by-bind-mount "$ns" survives "unshare --ipc=FILE has exited; nsenter --ipc=FILE reads $VALUE from the segment made there"
	elif [ "$got" = 1 ]; then
		observe sysv-shm held-by-bind-mount "$ns" gone "unshare --ipc=FILE has exited; nsenter --ipc=FILE: $err"
	else
		observe sysv-shm held-by-bind-mount "$ns" "" "nsenter --ipc=FILE: exit $got, read '$out': $err"
	fi
}

# remove_bind_segment: the segment BIND_NAME removed through the bind mount
# BIND_FILE and outside; then the mount (the namespace goes with it, or with
# this mount namespace).
remove_bind_segment() {
	t nsenter --ipc="$BIND_FILE" -- "$IPCNS_PROBES/probe-sysv" shm remove "$BIND_NAME" >/dev/null 2>&1
	t "$IPCNS_PROBES/probe-sysv" shm remove "$BIND_NAME" >/dev/null 2>&1
	umount "$BIND_FILE" 2>/dev/null
	rm -rf "$WORK"
}

main() {
	local mech scen tool
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-tools.XXXXXX") || exit 3
	trap cleanup EXIT
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM
	trap 'on_signal 129' HUP
	SETUP="" SETUP_SKIP="" WHY=""
	for tool in ipcmk ipcs ipcrm; do
		command -v "$tool" >/dev/null || SETUP_SKIP="util-linux $tool is not installed"
	done
	if [ -n "$SETUP_SKIP" ] || ! make_host_objects; then
		for mech in "${MECHS[@]}"; do
			for scen in tool-ipcs-host tool-unshare-ipcs tool-lsipc-ns tool-nsenter tool-ipcrm; do
				if [ -n "$SETUP_SKIP" ]; then
					observe "$mech" "$scen" "$NS" skip "$SETUP_SKIP"
				else
					observe "$mech" "$scen" "$NS" "" "$SETUP"
				fi
			done
		done
	else
		ipcs_host
		new_namespace_cells
		nsenter_cells
		ipcrm_cells
	fi
	lsns_cell
	bind_mount_cell
}

case $#:${1:-} in
	0:) main ;;
	1:-h | 1:--help) usage ;;
	4:--inside-mount-ns) inside_mount_ns "$2" "$3" "$4" ;;
	*) usage_error "no arguments expected but -t SECONDS" ;;
esac
