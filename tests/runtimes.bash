# shellcheck shell=bash
# shellcheck disable=SC2154 # status, output: set by Bats' run
# shellcheck disable=SC2153 # IMAGE, RUN_ID, IPCNS_NAMES: exported by setup_file
# What tests/runtimes.bats shares: real podman and docker containers, each
# mode's audit judged against fixtures/runtimes/RUNTIME-MODE.tsv, and what the
# run must leave as it found. The runtime commands are tools/container.sh's.

# shellcheck source=tools/container.sh
. "$IPCNS_SRC/tools/container.sh"

# mode_options MODE: the `run` options of a mode. Every container gets
# --network=none unless the mode is about the network: podman's default
# bridge would leave cni-podman0 and iptables chains on the host, and a
# dockerd of our own has no bridge; either is a network namespace of its own.
mode_options() {
	case $1 in
		default) echo --network=none ;;
		private) echo --ipc=private --network=none ;;
		shareable) echo --ipc=shareable --network=none ;;
		host-ipc) echo --ipc=host --network=none ;;
		host-net) echo --network=host ;;
		shm-bind) echo -v /dev/shm:/dev/shm --network=none ;;
		host-ipc-net) echo --ipc=host --network=host ;;
		uidmap) echo --uidmap 0:100000:65536 --network=none ;;
		*) return 1 ;;
	esac
}

# runtime_ready RUNTIME: make its image and run a container once, or say
# why not (the runtime's first error line) and fail. DOCKER_HOST is set for
# docker by the caller.
runtime_ready() {
	local r=$1 err t0
	t0=$EPOCHREALTIME
	if ! err=$(container_image "$r" "$IMAGE" 2>&1); then
		echo "$r cannot import an image here: $(grep -m 1 . <<<"$err")"
		return 1
	fi
	echo "# $r: image of busybox made and imported in $(elapsed "$t0") s" >&3
	mapfile -t opts < <(run_opts "$r")
	if ! err=$(rt "$r" run --rm "${opts[@]}" --network=none "$IMAGE" /bin/sh -c true 2>&1); then
		echo "$r cannot run containers here: $(grep -m 1 . <<<"$err")"
		return 1
	fi
}

# elapsed T0: seconds since EPOCHREALTIME was T0, in bash alone (no bc on
# a fresh machine).
elapsed() {
	local us=$((${EPOCHREALTIME/./} - ${1/./}))
	printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}

# audit_mode RUNTIME MODE: start MODE's container (and, for "peer", the
# container it joins), check what resolve says of it, audit it and judge the
# table against the mode's fixture.
audit_mode() {
	local r=$1 mode=$2 name=ipcns-audit-$RUN_ID-$1-$2 pid peer="" t0 claim c
	local -a opts
	t0=$EPOCHREALTIME
	if [ "$mode" = peer ]; then
		STARTED=("$name" "$name-x") # dependents first, for rm
		peer=$(container_run "$r" "$name-x" "$IMAGE" --ipc=shareable --network=none)
		opts=("--ipc=container:$name-x" --network=none)
	else
		STARTED=("$name")
		read -r -a opts <<<"$(mode_options "$mode")"
	fi
	pid=$(container_run "$r" "$name" "$IMAGE" "${opts[@]}")
	# What run-tests.sh --container will be told: the same host pid.
	claim=$(container_resolve "$name")
	IFS=$'\t' read -r -a fields <<<"${claim%%$'\n'*}"
	if [ "${fields[0]}" != "$r" ] || [ "${fields[3]}" != "$pid" ]; then
		fail "resolve $name: '$claim', not $r's pid $pid"
	fi
	# Each container's id and root filesystem on the host: no mount of
	# either may outlive it. By name, not by a before-and-after of the
	# mount table, where another run's containers would count.
	for c in "${STARTED[@]}"; do
		rt "$r" inspect -f "$r {{.Id}} {{.GraphDriver.Data.MergedDir}}" "$c" >>"$BATS_FILE_TMPDIR/ids"
	done
	echo "# $r $mode: claims ipc=${fields[4]} net=${fields[5]}$(grep '^bind' <<<"$claim" | tr '\t\n' ' ,' | sed 's/^/ /; s/,$//'); started in $(elapsed "$t0") s" >&3
	t0=$EPOCHREALTIME
	audit "$r-$mode" "$name" "${peer:+$name-x}"
	local audited
	audited=$(elapsed "$t0") t0=$EPOCHREALTIME
	container_rm "$r" "${STARTED[@]}"
	STARTED=()
	echo "# $r $mode: audited in $audited s, removed in $(elapsed "$t0") s" >&3
	[ "$status" = 0 ] || fail "$output"
	run unmatched "$r-$mode"
	[ -z "$output" ] || fail "no cell matched these rows of fixtures/runtimes/$r-$mode.tsv: $output"
}

# audit FIXTURE NAME [PEER]: ./run-tests.sh --container NAME (against the
# container PEER), judged against fixtures/runtimes/FIXTURE.tsv as its
# policy, in Bats' status and output; its record in OUT, its cells in CELLS.
audit() {
	OUT=$BATS_FILE_TMPDIR/out-$1 CELLS=$BATS_FILE_TMPDIR/out-$1/cells.jsonl
	run "$IPCNS_SRC/run-tests.sh" --no-install --build "$IPCNS_BUILD" --container "$2" ${3:+--peer "$3"} \
		--expect "$IPCNS_SRC/fixtures/runtimes/$1.tsv" --output "$OUT"
}

# unmatched FIXTURE: the rows of fixtures/runtimes/FIXTURE.tsv that no cell
# in CELLS matched. A cell without a row fails the judge; a row without a
# cell is a measurement the audit no longer makes (a via-path cell, say).
unmatched() {
	local m s rest mech scen found
	local -a cells
	mapfile -t cells < <(jq -r '.mechanism + " " + .scenario' "$CELLS")
	shopt -s extglob
	while read -r m s rest; do
		case $m in '#'* | '') continue ;; esac
		found=""
		for c in "${cells[@]}"; do
			mech=${c%% *} scen=${c#* }
			# shellcheck disable=SC2254 # the fixture's fields are patterns
			case $mech in $m) case $scen in $s) found=1 && break ;; esac ;; esac
		done
		[ -n "$found" ] || echo "$m $s"
	done <"$IPCNS_SRC/fixtures/runtimes/$1.tsv"
}

# left_behind: what of this run is still on the host, a line each.
left_behind() {
	local r id name mech
	for r in podman docker; do
		[ "$r" = docker ] && [ -z "${DOCKER_HOST:-}" ] && continue
		command -v "$r" >/dev/null || continue
		rt "$r" ps -a --format '{{.Names}}' 2>/dev/null | grep "^ipcns-audit-$RUN_ID-" | sed "s/^/$r container /"
		rt "$r" image inspect "$IMAGE" >/dev/null 2>&1 && echo "$r image $IMAGE"
	done
	[ -n "${DOCKERD_DIR:-}" ] && [ -e "$DOCKERD_DIR" ] && echo "dockerd directory $DOCKERD_DIR"
	[ -n "${DOCKERD_DIR:-}" ] && grep -F " $DOCKERD_DIR/" /proc/self/mountinfo | sed 's/^/mount /'
	[ -f "$BATS_FILE_TMPDIR/ids" ] && while read -r r id root; do
		grep -F -e "$id" -e "${root:-$id}" /proc/self/mountinfo | sed "s/^/mount of $r's $id: /"
	done <"$BATS_FILE_TMPDIR/ids"
	find /dev/shm /dev/mqueue /tmp -maxdepth 1 -name "*ipcns-$RUN_ID-*" 2>/dev/null | sed 's/^/file /'
	# SysV objects the host side made: logged by name before they were made.
	[ -f "$IPCNS_NAMES" ] && while read -r mech name; do
		case $mech in sysv-*) ;; *) continue ;; esac
		"$IPCNS_PROBES/probe-sysv" "${mech#sysv-}" get "$name" >/dev/null 2>&1 && echo "$mech $name"
	done <"$IPCNS_NAMES"
	true
}

# cleanup: whatever the run started, removed (also after a failure).
cleanup() {
	local r
	for r in podman docker; do
		[ "$r" = docker ] && [ -z "${DOCKER_HOST:-}" ] && continue
		command -v "$r" >/dev/null || continue
		rt "$r" ps -a --format '{{.Names}}' 2>/dev/null | grep "^ipcns-audit-$RUN_ID-" | sort -r |
			while read -r name; do container_rm "$r" "$name"; done
		rt "$r" rmi -f "$IMAGE" >/dev/null 2>&1
	done
	[ -n "${DOCKERD_DIR:-}" ] && container_dockerd stop "$DOCKERD_DIR"
	# conmon runs `podman container cleanup` when a container ends, after
	# rm has returned: wait (bounded) for whatever still names our ids.
	[ -f "$BATS_FILE_TMPDIR/ids" ] && while read -r r id _; do
		pgrep -f -- "$id" | while read -r pid; do
			timeout 10 tail -s 0.1 --pid="$pid" -f /dev/null
		done
	done <"$BATS_FILE_TMPDIR/ids"
	true
}
