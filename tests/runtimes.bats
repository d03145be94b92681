#!/usr/bin/env bats
# The container audit against real runtimes (opt-in by availability): podman
# (Debian's, with runc) and docker.io (a dockerd this file starts and stops
# by its pid), each mode's container audited and its table judged against
# fixtures/runtimes/RUNTIME-MODE.tsv; tools/container.sh's resolve; and that
# the run leaves no container, image, daemon, mount or IPC object behind.
# Where a runtime is not installed or cannot run containers here, its tests
# skip saying so (with the runtime's first error line). Meson runs this as
#   IPCNS_SRC=<source> IPCNS_PROBES=<build>/probes bats --tap tests/runtimes.bats

load helpers
load runtimes

setup_file() {
	export IPCNS_SRC=${IPCNS_SRC:-$BATS_TEST_DIRNAME/..}
	export IPCNS_PROBES=${IPCNS_PROBES:-$IPCNS_SRC/build/probes}
	export IPCNS_BUILD=${IPCNS_PROBES%/probes}
	export RUN_ID=rt$$-$RANDOM
	export IMAGE=localhost/ipcns-audit:$RUN_ID
	export IPCNS_RUN_ID=$RUN_ID IPCNS_NAMES=$BATS_FILE_TMPDIR/names
	export PODMAN_SKIP="" DOCKER_SKIP="" REACH_SKIP="" DOCKERD_DIR="" DOCKER_HOST=""
	[ -x "$IPCNS_PROBES/probe-reach" ] || REACH_SKIP="probe-reach is not built in $IPCNS_PROBES"
	if [ "$(id -u)" != 0 ]; then
		PODMAN_SKIP="the runtimes suite runs as root (--uidmap, a dockerd of its own)"
		DOCKER_SKIP=$PODMAN_SKIP
		return
	fi
	if ! command -v podman >/dev/null; then
		PODMAN_SKIP="podman is not installed"
	else
		PODMAN_SKIP=$(runtime_ready podman)
	fi
	if ! command -v dockerd >/dev/null; then
		DOCKER_SKIP="dockerd is not installed (docker.io)"
		return
	fi
	# A socket path is at most 107 bytes: not under BATS_FILE_TMPDIR.
	DOCKERD_DIR=$(mktemp -d /tmp/ipcns-dockerd.XXXXXX)
	local t0=$EPOCHREALTIME err
	if ! err=$(container_dockerd start "$DOCKERD_DIR" 2>&1); then
		DOCKER_SKIP="dockerd cannot run here: $(grep -m 1 . <<<"$err")"
		DOCKERD_DIR=""
		return
	fi
	echo "# dockerd up in $(elapsed "$t0") s" >&3
	DOCKER_HOST=unix://$DOCKERD_DIR/sock
	DOCKER_SKIP=$(runtime_ready docker)
}

teardown_file() {
	cleanup
}

setup() {
	STARTED=() STARTED_RUNTIME=""
}

teardown() {
	[ "${#STARTED[@]}" -eq 0 ] || container_rm "$STARTED_RUNTIME" "${STARTED[@]}"
}

# need RUNTIME: skip, saying why, where RUNTIME or the probe cannot run.
need() {
	local why=${1^^}_SKIP
	[ -z "${!why}" ] || skip "${!why}"
	[ -z "$REACH_SKIP" ] || skip "$REACH_SKIP"
	STARTED_RUNTIME=$1
}

@test "podman default (--network=none): IPC objects isolated; the host reaches its /dev/shm and /tmp through podman's storage" {
	need podman
	audit_mode podman default
}

@test "podman --ipc=private: the same as its default" {
	need podman
	audit_mode podman private
}

@test "podman --ipc=shareable: the same as its default" {
	need podman
	audit_mode podman shareable
}

@test "podman --ipc=host: SysV, mqueue and all of /dev/shm shared, though podman says 'shareable'" {
	need podman
	audit_mode podman host-ipc
}

@test "podman --network=host: abstract sockets shared" {
	need podman
	audit_mode podman host-net
}

@test "podman -v /dev/shm:/dev/shm: POSIX semaphores, shared memory and /dev/shm paths shared" {
	need podman
	audit_mode podman shm-bind
}

@test "podman --ipc=host --network=host: SysV, mqueue, /dev/shm and abstract sockets shared" {
	need podman
	audit_mode podman host-ipc-net
}

@test "podman --uidmap: isolated; what the host makes in its /dev/shm and /tmp found but denied" {
	need podman
	audit_mode podman uidmap
}

@test "podman --ipc=container:X against X: every IPC object and /dev/shm shared" {
	need podman
	audit_mode podman peer
}

@test "docker default (private IPC, --network=none): IPC objects isolated; the host reaches its /tmp through docker's storage" {
	need docker
	audit_mode docker default
}

@test "docker --ipc=private: the same as its default" {
	need docker
	audit_mode docker private
}

@test "docker --ipc=shareable: as private, but the host reaches its /dev/shm through docker's storage" {
	need docker
	audit_mode docker shareable
}

@test "docker --ipc=host: SysV, mqueue and all of /dev/shm shared" {
	need docker
	audit_mode docker host-ipc
}

@test "docker --network=host: abstract sockets shared" {
	need docker
	audit_mode docker host-net
}

@test "docker -v /dev/shm:/dev/shm: POSIX semaphores, shared memory and /dev/shm paths shared" {
	need docker
	audit_mode docker shm-bind
}

@test "docker --ipc=host --network=host: SysV, mqueue, /dev/shm and abstract sockets shared" {
	need docker
	audit_mode docker host-ipc-net
}

@test "docker --ipc=container:X against X: every IPC object and /dev/shm shared" {
	need docker
	audit_mode docker peer
}

@test "resolve: an unknown name is exit 2, naming whom it asked" {
	[ -n "$PODMAN_SKIP" ] && [ -n "$DOCKER_SKIP" ] && skip "$PODMAN_SKIP; $DOCKER_SKIP"
	run -2 --separate-stderr "$IPCNS_SRC/tools/container.sh" resolve "ipcns-audit-$RUN_ID-nosuch"
	assert_stderr_has "no container 'ipcns-audit-$RUN_ID-nosuch' is known to"
	[ -z "$output" ] || fail "printed: $output"
}

@test "resolve: a stopped container is exit 2, not a pid" {
	[ -z "$PODMAN_SKIP" ] || skip "$PODMAN_SKIP"
	local name=ipcns-audit-$RUN_ID-stopped
	STARTED=("$name") STARTED_RUNTIME=podman
	container_run podman "$name" "$IMAGE" --network=none >/dev/null
	podman inspect -f "podman {{.Id}} {{.GraphDriver.Data.MergedDir}}" "$name" >>"$BATS_FILE_TMPDIR/ids"
	podman stop --time 0 "$name" >/dev/null
	run -2 --separate-stderr "$IPCNS_SRC/tools/container.sh" resolve "$name"
	assert_stderr_has "container '$name' is not running"
	[ -z "$output" ] || fail "printed: $output"
}

@test "resolve: no runtime installed is exit 3; bad arguments are usage, exit 2" {
	run -3 --separate-stderr env PATH=/nonexistent "$BASH" "$IPCNS_SRC/tools/container.sh" resolve x
	assert_stderr_has "neither podman nor docker is installed"
	expect_usage "$IPCNS_SRC/tools/container.sh" resolve
	expect_usage "$IPCNS_SRC/tools/container.sh" resolve ""
	expect_usage "$IPCNS_SRC/tools/container.sh" run crun x y
	expect_usage "$IPCNS_SRC/tools/container.sh" dockerd start relative/dir
}

@test "the run leaves no container, image, daemon, mount or IPC object behind" {
	cleanup
	DOCKERD_DIR_WAS=$DOCKERD_DIR
	run left_behind
	[ -z "$output" ] || fail "left behind: $output"
	if [ -n "$DOCKERD_DIR_WAS" ]; then
		! pgrep -f -- "--pidfile $DOCKERD_DIR_WAS/pid" >/dev/null || fail "dockerd is still running"
	fi
}
