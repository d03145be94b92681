#!/usr/bin/env bash
# Real container runtimes, in one place: which container a name means (for
# ./run-tests.sh --container), and, for the opt-in runtimes suite, an image
# made without a registry, containers started and removed, and a dockerd of
# the caller's own. Sourced, it defines the functions; run, it is the command
# below. Pids are always the host's (inspect's State.Pid), never one printed
# inside a container's pid namespace.
set -u

container_usage() {
	cat <<'EOF'
usage: tools/container.sh resolve NAME|ID
       tools/container.sh image podman|docker TAG
       tools/container.sh run podman|docker NAME IMAGE [RUN-OPTION...]
       tools/container.sh rm podman|docker NAME...
       tools/container.sh dockerd start|stop DIR
  resolve  ask podman, then docker, which running container NAME|ID is, and
           print it tab-separated:
             RUNTIME NAME ID PID IPCMODE NETWORKMODE
           (PID: the host's; IPCMODE, NETWORKMODE: the runtime's own claim),
           then a line a bind mount: "bind SOURCE DESTINATION"
  image    import an image of a static busybox (sh, sleep) as TAG; no registry
  run      start NAME detached (sleeping) from IMAGE; print its host pid
  rm       remove containers at once (no grace period), dependents first
  dockerd  start a dockerd of its own in DIR (socket DIR/sock, data, exec root,
           key and pid file there; no iptables, no bridge), waited for with a
           bound; stop it by its pid, remove DIR and the empty /run/docker,
           /run/containerd it made
Podman runs with runc (--runtime runc where runc is installed: crun cannot
run everywhere) and raised nofile/nproc limits. Docker talks to DOCKER_HOST.
exit: 0 done, 2 usage, an unknown NAME|ID or one that is not running,
      3 no runtime is installed, or one could not be asked or could not run
EOF
}

# The dockerd start bound, seconds.
: "${IPCNS_DOCKERD_TIMEOUT:=30}"

# Debian's docker.io client; PATH may put another docker first (a newer
# static client in /usr/local/bin): take the one beside dockerd when there is.
docker_bin() {
	local d
	d=$(command -v dockerd 2>/dev/null) && [ -x "${d%/sbin/dockerd}/bin/docker" ] &&
		{ echo "${d%/sbin/dockerd}/bin/docker"; return; }
	command -v docker
}

# rt RUNTIME ARG...: the runtime's command line.
rt() {
	local r=$1
	shift
	case $r in
		podman) podman "$@" ;;
		docker) "$(docker_bin)" "$@" ;;
		*) echo "container.sh: unknown runtime '$r'" >&2; return 2 ;;
	esac
}

# run_opts RUNTIME: what every `run` gets.
run_opts() {
	[ "$1" = podman ] || return 0
	command -v runc >/dev/null && printf '%s\n' --runtime runc
	printf '%s\n' --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
}

# image RUNTIME TAG: a root of a static busybox and the two applets the suite
# runs, as a tarball, imported as TAG.
container_image() {
	local r=$1 tag=$2 bb dir out rc=0
	bb=$(command -v busybox.static || command -v busybox) ||
		{ echo "container.sh: no busybox (busybox-static) to make an image of" >&2; return 3; }
	if ldd "$bb" >/dev/null 2>&1; then
		echo "container.sh: $bb is not static (install busybox-static)" >&2
		return 3
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-image.XXXXXX") || return 3
	mkdir -p "$dir/root/bin" "$dir/root/dev" "$dir/root/proc" "$dir/root/sys" \
		"$dir/root/tmp" "$dir/root/etc" &&
		cp "$bb" "$dir/root/bin/busybox" &&
		ln -s busybox "$dir/root/bin/sh" && ln -s busybox "$dir/root/bin/sleep" &&
		chmod 1777 "$dir/root/tmp" &&
		tar -C "$dir/root" -cf "$dir/image.tar" . &&
		out=$(rt "$r" import "$dir/image.tar" "$tag" 2>&1) || rc=3
	[ "$rc" = 0 ] || echo "container.sh: $r import: $out" >&2
	rm -rf "$dir"
	return "$rc"
}

# run RUNTIME NAME IMAGE [OPTION...]: start NAME; print its host pid.
container_run() {
	local r=$1 name=$2 image=$3 pid opts
	shift 3
	mapfile -t opts < <(run_opts "$r")
	rt "$r" run -d "${opts[@]}" --name "$name" "$@" "$image" /bin/sleep 3600 >/dev/null || return 3
	pid=$(rt "$r" inspect -f '{{.State.Pid}}' "$name") || return 3
	# An empty or zero pid would audit the wrong target.
	if ! [[ $pid =~ ^[1-9][0-9]*$ ]] || [ ! -d "/proc/$pid" ]; then
		echo "container.sh: $r gave no live pid for $name: '$pid'" >&2
		return 3
	fi
	echo "$pid"
}

# rm RUNTIME NAME...: one at a time, in the order given (dependents first:
# a --ipc=container:X container before X). Twice if need be: with another
# podman at work, removing a container's userdata/shm can meet EBUSY once
# (seen with two runs of the runtimes suite at once).
container_rm() {
	local r=$1 name rc=0 err opts=()
	shift
	[ "$r" = podman ] && opts=(--time 0)
	for name; do
		err=$(rt "$r" rm -f "${opts[@]}" "$name" 2>&1 >/dev/null) ||
			rt "$r" rm -f "${opts[@]}" "$name" >/dev/null 2>&1 ||
			{ echo "$err" >&2; rc=3; }
	done
	return "$rc"
}

# dockerd start|stop DIR.
container_dockerd() {
	local dir=$2 pid deadline cli d
	case $1 in
		start)
			command -v dockerd >/dev/null || { echo "container.sh: dockerd is not installed" >&2; return 3; }
			mkdir -p "$dir" || return 3
			# What dockerd makes outside its roots whatever it is told
			# (its managed containerd's shim sockets, plugin sockets),
			# removed at stop where they were not there before.
			for d in /run/docker /run/containerd; do
				[ -e "$d" ] || echo "$d" >>"$dir/made"
			done
			# Its own configuration, not the host's daemon.json; its key
			# (/etc/docker/key.json by default) in DIR.
			printf '{"deprecated-key-path": "%s/key.json"}\n' "$dir" >"$dir/daemon.json" || return 3
			# Its own group and session: the caller's signals and
			# terminal are not its; it is stopped by its pid file.
			setsid dockerd --data-root "$dir/data" --exec-root "$dir/exec" \
				--pidfile "$dir/pid" -H "unix://$dir/sock" --iptables=false \
				--config-file "$dir/daemon.json" \
				--ip-masq=false --bridge=none >"$dir/log" 2>&1 </dev/null &
			echo $! >"$dir/launched"
			# Bounded: the socket answers, or the daemon died, or time is up.
			deadline=$((SECONDS + IPCNS_DOCKERD_TIMEOUT)) cli=$(docker_bin)
			until DOCKER_HOST=unix://$dir/sock timeout 5 "$cli" info >/dev/null 2>&1; do
				if ! kill -0 "$(cat "$dir/launched")" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
					echo "container.sh: dockerd did not come up: $(grep -m 1 -iE 'level=(fatal|error)' "$dir/log" || tail -n 1 "$dir/log")" >&2
					container_dockerd stop "$dir"
					return 3
				fi
			done ;;
		stop)
			pid=$(cat "$dir/pid" 2>/dev/null || cat "$dir/launched" 2>/dev/null)
			if [[ ${pid:-} =~ ^[0-9]+$ ]] && kill -TERM "$pid" 2>/dev/null; then
				# dockerd stops its containerd and containers itself.
				timeout 30 tail -s 0.1 --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null
			fi
			# What the daemon left mounted under its directories.
			grep -F " $dir/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r |
				while read -r m; do umount -l "$m"; done
			# Only if empty: another daemon may be using them by now
			# (and removing what is in them meanwhile: no error).
			[ -f "$dir/made" ] && while read -r d; do
				find "$d" -depth -type d -empty -delete 2>/dev/null || true
			done <"$dir/made"
			rm -rf "$dir" ;;
		*) container_usage >&2; return 2 ;;
	esac
}

# resolve NAME|ID: see the usage.
container_resolve() {
	local want=$1 r out rc found="" errors=() answered=() fields
	local fmt='{{.State.Running}}	{{.Name}}	{{.Id}}	{{.State.Pid}}	{{.HostConfig.IpcMode}}	{{.HostConfig.NetworkMode}}{{range .Mounts}}{{if eq .Type "bind"}}{{printf "\nbind\t%s\t%s" .Source .Destination}}{{end}}{{end}}'
	for r in podman docker; do
		if [ "$r" = podman ] && ! command -v podman >/dev/null; then continue; fi
		if [ "$r" = docker ] && ! command -v docker >/dev/null && ! command -v dockerd >/dev/null; then continue; fi
		found+=" $r"
		rc=0
		# stdout alone: podman 5 warns on stderr (cgroups v1) even when it
		# answers; its error, when it does not, is asked for again.
		out=$(rt "$r" inspect --type container -f "$fmt" -- "$want" 2>/dev/null) || rc=$?
		[ "$rc" = 0 ] || out=$(rt "$r" inspect --type container -f "$fmt" -- "$want" 2>&1 >/dev/null)
		if [ "$rc" = 0 ]; then
			IFS=$'\t' read -r -a fields <<<"${out%%$'\n'*}"
			if [ "${fields[0]}" != true ]; then
				echo "container.sh: $r's container '$want' is not running" >&2
				return 2
			fi
			# Docker names begin with "/".
			printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "${fields[1]#/}" "${fields[2]}" \
				"${fields[3]}" "${fields[4]}" "${fields[5]}"
			[[ ${fields[3]} =~ ^[1-9][0-9]*$ ]] ||
				{ echo "container.sh: $r gave no pid for '$want': '${fields[3]}'" >&2; return 3; }
			[[ $out == *$'\n'* ]] && printf '%s\n' "${out#*$'\n'}"
			return 0
		fi
		# "no such container" (podman), "No such container" (docker): not
		# known there; anything else (no daemon, no permission): not asked.
		case $out in
			*[Nn]o\ such\ container* | *[Nn]o\ such\ object*) answered+=("$r") ;;
			*) errors+=("$r could not be asked: $(grep -m 1 . <<<"$out")") ;;
		esac
	done
	if [ -z "$found" ]; then
		echo "container.sh: neither podman nor docker is installed" >&2
		return 3
	fi
	local why=${errors[*]:+ (${errors[*]})}
	if [ "${#answered[@]}" -eq 0 ]; then
		echo "container.sh: cannot tell which container '$want' is$why" >&2
		return 3
	fi
	answered=("${answered[@]/%/,}")
	echo "container.sh: no container '$want' is known to ${answered[*]%,}$why" >&2
	return 2
}

container_main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	case $cmd in
		-h | --help) container_usage; return 0 ;;
		resolve) [ $# = 1 ] && [ -n "$1" ] && { container_resolve "$1"; return; } ;;
		image) [ $# = 2 ] && [[ $1 == @(podman|docker) ]] && { container_image "$@"; return; } ;;
		run) [ $# -ge 3 ] && [[ $1 == @(podman|docker) ]] && { container_run "$@"; return; } ;;
		rm) [ $# -ge 2 ] && [[ $1 == @(podman|docker) ]] && { container_rm "$@"; return; } ;;
		dockerd) [ $# = 2 ] && [[ $1 == @(start|stop) ]] && [[ $2 == /* ]] && { container_dockerd "$@"; return; } ;;
	esac
	container_usage >&2
	return 2
}

[ "${BASH_SOURCE[0]}" = "$0" ] && { container_main "$@"; exit; }
true
