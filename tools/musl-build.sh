#!/usr/bin/env bash
# Builds the probes against musl instead of glibc, for a run of the suite with
# them:  tools/musl-build.sh DIR && IPCNS_PROBES=DIR/probes ./run-tests.sh ...
# A libc wraps every IPC call the probes make (POSIX mq, sem and shm above
# all), so a second libc is a second measurement of the same kernel.
set -u

usage() {
	cat <<'EOF'
usage: tools/musl-build.sh BUILD_DIR
Builds the probes with musl (cc where the C library is musl, as on Alpine;
musl-gcc elsewhere: Debian's musl-tools) into BUILD_DIR/probes. Then:
  IPCNS_PROBES=BUILD_DIR/probes ./run-tests.sh --no-install --output DIR
exit: 0 built, 2 usage, 3 cannot build (no musl compiler, or the build failed)
EOF
}

say() { printf 'musl-build: %s\n' "$*" >&2; }
die() { say "$2"; exit "$1"; }

case ${1:-} in
	-h | --help) usage; exit 0 ;;
	"" | -*) usage >&2; exit 2 ;;
esac
[ $# -eq 1 ] || { usage >&2; exit 2; }
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Absolute: the compiler runs in the build directory, and gets -isystem paths.
mkdir -p "$1" 2>/dev/null || die 3 "cannot make $1"
build=$(cd "$1" && pwd) || die 3 "cannot enter $1"

if cc -dumpmachine 2>/dev/null | grep -q musl; then
	compiler=cc
elif command -v musl-gcc >/dev/null; then
	compiler=musl-gcc
else
	die 3 "no musl C compiler: install musl-tools (apt), musl-gcc (dnf) or musl (pacman)"
fi

# musl-gcc searches musl's headers only; the kernel's UAPI headers (linux/,
# asm/) do not depend on the C library, so the system's are lent to it.
cflags=""
if ! printf '#include <linux/sched.h>\n' | "$compiler" -E -x c - >/dev/null 2>&1; then
	asm=/usr/include/$(gcc -print-multiarch 2>/dev/null)/asm
	[ -d "$asm" ] || asm=/usr/include/asm
	if [ -f /usr/include/linux/sched.h ] && [ -d "$asm" ]; then
		mkdir -p "$build/kernel-headers" || die 3 "cannot write to $build"
		ln -sfn /usr/include/linux "$build/kernel-headers/linux"
		ln -sfn /usr/include/asm-generic "$build/kernel-headers/asm-generic"
		ln -sfn "$asm" "$build/kernel-headers/asm"
		cflags="-isystem $build/kernel-headers"
	else
		say "no kernel headers for $compiler: the probes are built without them (no struct clone_args)"
	fi
fi

# The Check unit tests cannot link against musl: only the probes are built.
if [ ! -f "$build/build.ninja" ]; then
	log=$(CC=$compiler CFLAGS=$cflags timeout 300 meson setup "$build" "$src" 2>&1) ||
		{ printf '%s\n' "$log" >&2; die 3 "meson setup failed"; }
fi
# The probes' targets, as meson names their files.
targets=()
while read -r f; do
	[[ $f == "$build/probes/"* ]] && targets+=("${f#"$build/"}")
done < <(meson introspect --targets "$build" | grep -o '"/[^"]*/probes/[^"/]*"' | tr -d '"' | sort -u)
[ "${#targets[@]}" -gt 0 ] || die 3 "meson lists no probes in $build"
timeout 600 ninja -C "$build" "${targets[@]}" >&2 || die 3 "the build failed"
# A directory set up before with another compiler would build for glibc.
readelf -l "$build/probes/ipcns" 2>/dev/null | grep -q 'ld-musl' ||
	die 3 "$build/probes/ipcns is not linked against musl: $build was set up for another C library"
say "built with $compiler: ${targets[*]} in $build"
