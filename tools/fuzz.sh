#!/usr/bin/env bash
# Fuzzes the probes' argument parsing (tests/fuzz-args.c) with libFuzzer for a
# bounded time, in a clang build of its own with ASan and UBSan.
set -u

usage() {
	echo "usage: tools/fuzz.sh [--seconds N] [--build DIR]   (N: 1..3600, default 30)"
	echo "       tools/fuzz.sh --check   (exit 0: clang builds and runs libFuzzer targets here; 4: it does not, and why)"
}

# Whether clang builds a libFuzzer target with the sanitizers used below, and
# the target runs; if not, say why (clang's own error, say a missing
# libclang_rt.fuzzer: Debian's clang only recommends the package with it).
check() {
	local dir err rc=0
	command -v clang >/dev/null || { echo "fuzz: clang is not installed" >&2; return 4; }
	dir=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-fuzz-check.XXXXXX") || return 3
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' >"$dir/t.c"
	if ! err=$(clang -fsanitize=fuzzer,address,undefined "$dir/t.c" -o "$dir/t" 2>&1); then
		echo "fuzz: clang $(clang -dumpversion) cannot link a libFuzzer target with ASan and UBSan:" \
			"$(grep -m 1 -E 'error|cannot' <<<"$err")" >&2
		rc=4
	elif ! err=$("$dir/t" -runs=1 2>&1); then
		echo "fuzz: a libFuzzer target built by clang $(clang -dumpversion) does not run here:" \
			"$(tail -n 1 <<<"$err")" >&2
		rc=4
	fi
	rm -rf "$dir"
	return "$rc"
}

seconds=30 build=""
while [ $# -gt 0 ]; do
	case $1 in
		--check) check; exit ;;
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

check || exit
if [ ! -f "$build/build.ninja" ]; then
	# The log beside the build it is about, not loose in TMPDIR.
	mkdir -p "$build" || exit 3
	CC=clang meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >"$build/setup.log" 2>&1 ||
		{ cat "$build/setup.log" >&2; echo "fuzz: meson setup failed" >&2; exit 3; }
fi
ninja -C "$build" tests/fuzz-args >/dev/null || { echo "fuzz: build failed" >&2; exit 3; }

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
