#!/usr/bin/env bash
# Fuzzes the probes' argument parsing (tests/fuzz-args.c) with libFuzzer for a
# bounded time, in a clang build of its own with ASan and UBSan.
set -u

usage() { echo "usage: tools/fuzz.sh [--seconds N] [--build DIR]   (N: 1..3600, default 30)"; }

seconds=30 build=""
while [ $# -gt 0 ]; do
	case $1 in
		--seconds)
			if [[ ! ${2:-} =~ ^[0-9]{1,4}$ ]] || [ "$2" -lt 1 ] || [ "$2" -gt 3600 ]; then
				usage >&2
				exit 2
			fi
			seconds=$2
			shift 2 ;;
		--build)
			[ -n "${2:-}" ] || { usage >&2; exit 2; }
			build=$2
			shift 2 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
	esac
done
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${build:=${TMPDIR:-/tmp}/ipcns-fuzz-$(id -u)}"

command -v clang >/dev/null || { echo "fuzz: clang is not installed" >&2; exit 4; }
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >"${TMPDIR:-/tmp}/ipcns-fuzz-setup.log" 2>&1 ||
		{ cat "${TMPDIR:-/tmp}/ipcns-fuzz-setup.log" >&2; echo "fuzz: meson setup failed" >&2; exit 3; }
fi
ninja -C "$build" tests/fuzz-args >/dev/null || { echo "fuzz: build failed (no libFuzzer runtime?)" >&2; exit 4; }

corpus=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-corpus.XXXXXX") || exit 3
trap 'rm -rf "$corpus"' EXIT
# Seeds: argvs that reach every branch of the parsers, NUL-separated.
printf 'tok\0create\0name\0001' >"$corpus/create"
printf -- '-t\0005\0path\0get\0/tmp/x' >"$corpus/path"
printf -- '--entry\0clone3\0--mnt\0--net\0--user' >"$corpus/ns"
printf -- '--join\0001\0--entry\0pidfd' >"$corpus/join"
UBSAN_OPTIONS=halt_on_error=1 "$build/tests/fuzz-args" -max_total_time="$seconds" \
	-timeout=5 -rss_limit_mb=1024 -close_fd_mask=3 "$corpus" 2>"$corpus/log"
rc=$?
grep -E '^#[0-9]+ +DONE|^Done' "$corpus/log" | tail -n 1
[ "$rc" = 0 ] || { tail -n 40 "$corpus/log" >&2; echo "fuzz: libFuzzer found a failure (exit $rc)" >&2; exit 1; }
