#!/usr/bin/env bash
# Makes sure what the suite needs is installed: as root it installs what is
# missing with the distribution's package manager (apt, dnf, apk, pacman);
# otherwise, or with --check, it names what is missing and exits 3.
set -u

usage() {
	cat <<'EOF'
usage: tools/deps.sh [--check] run|test|vm|kernel
  run    what ./run-tests.sh needs: a C compiler, meson, ninja, pkg-config,
         bats with bats-support and bats-assert, util-linux, coreutils,
         python3 (the record)
  test   that, plus what the project's own tests need: check, jq, valgrind,
         shellcheck, cppcheck, python3-jsonschema, and (optional) clang with
         its libFuzzer runtime, QEMU and a static busybox (the --kernel tests
         that boot images of their own; the busybox is also the runtimes
         suite's image), podman with runc and docker.io (the runtimes suite)
  vm     run's, plus what ./run-tests.sh --kernel needs: QEMU and a static
         busybox
  kernel what tools/build-kernel.sh needs to build an x86-64 kernel: make, gcc,
         flex, bison, bc, libelf (objtool), xz; perl and OpenSSL's headers
         for a defconfig base
  --check  install nothing; only say what is missing
exit: 0 all present, 2 usage, 3 something is missing and was not installed
EOF
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check_only=""
if [ "${1:-}" = --check ]; then
	check_only=1
	shift
fi
case ${1:-} in
	run | test | vm | kernel) what=$1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
esac

# Each need: "name | how to tell it is there | apt | dnf | apk | pacman" ("-": none).
# apt: Debian 12 and testing, Ubuntu 24.04; dnf: Fedora; apk: Alpine; pacman: Arch.
# Fedora has no bats-support/bats-assert: npm is installed for them, and the
# libraries come from npm's registry (below). The util-linux and coreutils
# tools must be theirs: Alpine's busybox has applets of the same names.
needs_run=(
	"cc | command -v cc | gcc,libc6-dev | gcc,glibc-devel | build-base | gcc"
	"linux-headers | [ -f /usr/include/linux/sched.h ] | linux-libc-dev | kernel-headers | linux-headers | linux-api-headers"
	"meson | command -v meson | meson | meson | meson | meson"
	"ninja | command -v ninja | ninja-build | ninja-build | samurai | ninja"
	"pkg-config | command -v pkg-config | pkg-config | pkgconf-pkg-config | pkgconf | pkgconf"
	"bats | command -v bats | bats | bats | bats | bats"
	"bats-support | have_bats_lib bats-support | bats-support | npm | bats-support | bats-support"
	"bats-assert | have_bats_lib bats-assert | bats-assert | npm | bats-assert | bats-assert"
	"unshare | made_by util-linux unshare | util-linux | util-linux | util-linux-misc | util-linux"
	"?nsenter | made_by util-linux nsenter | util-linux | util-linux | util-linux-misc | util-linux"
	"ipcs | made_by util-linux ipcs | util-linux | util-linux | util-linux-misc | util-linux"
	"?ipcmk | made_by util-linux ipcmk | util-linux | util-linux | util-linux-misc | util-linux"
	"?ipcrm | made_by util-linux ipcrm | util-linux | util-linux | util-linux-misc | util-linux"
	"?lsipc | made_by util-linux lsipc | util-linux | util-linux | util-linux-misc | util-linux"
	"?lsns | made_by util-linux lsns | util-linux | util-linux | util-linux-misc | util-linux"
	"mountpoint | made_by util-linux mountpoint | util-linux | util-linux | util-linux-misc | util-linux"
	"flock | made_by util-linux flock | util-linux | util-linux | flock | util-linux"
	"timeout | made_by coreutils timeout | coreutils | coreutils | coreutils | coreutils"
	"find | not_busybox find | findutils | findutils | findutils | findutils"
	"python3 | command -v python3 | python3 | python3 | python3 | python"
)
needs_test=(
	"check | pkg-config --exists check | check | check-devel | check-dev | check"
	"jq | command -v jq | jq | jq | jq | jq"
	"valgrind | command -v valgrind | valgrind | valgrind | valgrind | valgrind"
	"shellcheck | command -v shellcheck | shellcheck | ShellCheck | shellcheck | shellcheck"
	"setpriv | made_by util-linux setpriv | util-linux | util-linux | setpriv | util-linux"
	"pgrep | not_busybox pgrep | procps | procps-ng | procps-ng | procps-ng"
	"diff | not_busybox diff | diffutils | diffutils | diffutils | diffutils"
	"jsonschema | python3 -c 'import jsonschema' | python3-jsonschema | python3-jsonschema | py3-jsonschema | python-jsonschema"
	"cppcheck | command -v cppcheck | cppcheck | cppcheck | cppcheck | cppcheck"
	"?libfuzzer | have_libfuzzer | clang,libclang-rt-dev | clang,compiler-rt | clang,compiler-rt | clang,compiler-rt"
	# The runtimes suite's containers. runc named beside podman: given the
	# choice, apt takes crun, which cannot run everywhere (the suite runs
	# podman --runtime runc).
	"?podman | command -v podman && command -v runc | podman,runc | podman,runc | podman,runc | podman,runc"
	# Debian 13 moved docker's client to docker-cli, which Debian 12 lacks:
	# "?" after a package: where the distribution has it.
	"?dockerd | command -v dockerd && command -v docker | docker.io,docker-cli? | moby-engine | docker | docker"
)
# Alpine's package is qemu-system-x86_64; Debian's busybox-static is static,
# Fedora's and Arch's busybox are static builds too.
needs_vm=(
	"qemu | command -v qemu-system-x86_64 | qemu-system-x86 | qemu-system-x86 | qemu-system-x86_64 | qemu-system-x86"
	"busybox | have_static_busybox | busybox-static | busybox | busybox-static | busybox"
)

# Building a kernel (tools/build-kernel.sh), none of run's: what a tinyconfig
# x86-64 build runs (objtool links libelf; bc computes kernel/time's
# constants; tinyconfig compresses with xz), and what a defconfig build adds
# (perl makes the OID registry, certs/extract-cert links libcrypto).
needs_kernel=(
	"make | command -v make | make | make | make | make"
	"gcc | command -v gcc | gcc,libc6-dev | gcc,glibc-devel | build-base | gcc"
	"flex | command -v flex | flex | flex | flex | flex"
	"bison | command -v bison | bison | bison | bison | bison"
	"bc | command -v bc | bc | bc | bc | bc"
	"libelf | [ -f /usr/include/gelf.h ] | libelf-dev | elfutils-libelf-devel | elfutils-dev | libelf"
	"xz | command -v xz | xz-utils | xz | xz | xz"
	"perl | command -v perl | perl | perl | perl | perl"
	"openssl-headers | [ -f /usr/include/openssl/evp.h ] | libssl-dev | openssl-devel | openssl-dev | openssl"
)

# made_by PROJECT CMD: CMD is PROJECT's own, as its --version says (busybox's
# applets of the same names do not say so).
made_by() {
	"$2" --version 2>/dev/null | grep -q "$1"
}

# not_busybox CMD: CMD is there and is not one of busybox's applets (Alpine
# links those in place of findutils', procps' and diffutils' own, which lack
# options the tests use).
not_busybox() {
	local path
	path=$(command -v "$1") || return 1
	case $(readlink -f "$path") in */busybox | */busybox.*) return 1 ;; esac
}

# Where the libraries may be: BATS_LIB_PATH, Bats' default /usr/lib/bats
# (Debian, Alpine, our npm links), and /usr/lib (Arch's packages install
# /usr/lib/bats-support/load.bash). run-tests.sh puts the last two in the
# BATS_LIB_PATH it passes on, so that bats_load_library finds what this finds.
have_bats_lib() {
	local dir bats_lib_path
	bats_lib_path=${BATS_LIB_PATH:-}
	for dir in ${bats_lib_path//:/ } /usr/lib/bats /usr/lib; do
		[ -f "$dir/$1/load.bash" ] && return 0
	done
	return 1
}

# clang builds and runs a libFuzzer target (tools/fuzz.sh --check says why
# not). Debian's clang only recommends the runtime (libclang-rt-N-dev), which
# the versionless libclang-rt-dev pulls in on Debian 12 (14) and 13 (19) alike.
have_libfuzzer() {
	"$here/fuzz.sh" --check
}

# Alpine names its static busybox busybox.static; elsewhere it is busybox,
# which ldd must not call dynamic.
have_static_busybox() {
	command -v busybox.static && return 0
	command -v busybox && ! ldd "$(command -v busybox)"
}

manager() {
	local m
	for m in apt-get dnf apk pacman; do
		command -v "$m" >/dev/null && { echo "$m"; return; }
	done
}

list=("${needs_run[@]}")
# The tests of --kernel boot images of their own where QEMU is there:
# installed with the rest, optional.
[ "$what" = test ] && for need in "${needs_vm[@]}"; do list+=("?$need"); done
[ "$what" = kernel ] && list=("${needs_kernel[@]}")
[ "$what" = test ] && list+=("${needs_test[@]}")
[ "$what" = vm ] && list+=("${needs_vm[@]}")

# A name with "?" is optional: installed with the rest, but where it cannot be
# the suite still runs and skips the cells that need it, naming it.
missing=() optional=() packages=() maybe=()
pm=$(manager)
for need in "${list[@]}"; do
	IFS='|' read -r -a f <<<"$need"
	f=("${f[@]# }") && f=("${f[@]% }")
	# shellcheck disable=SC2086 # the test is a command line
	eval ${f[1]} >/dev/null 2>&1 && continue
	if [ "${f[0]#\?}" != "${f[0]}" ]; then
		optional+=("${f[0]#\?}")
	else
		missing+=("${f[0]}")
	fi
	case $pm in
		apt-get) pkg=${f[2]} ;;
		dnf) pkg=${f[3]} ;;
		apk) pkg=${f[4]} ;;
		pacman) pkg=${f[5]} ;;
		*) pkg=- ;;
	esac
	# Each package once: several tools come from one. "pkg?": asked for
	# only where the distribution has it (after apt-get update, below).
	for p in ${pkg//,/ }; do
		[ "$p" != - ] || continue
		case $p in
			*\?) [[ " ${maybe[*]} " == *" ${p%\?} "* ]] || maybe+=("${p%\?}") ;;
			*) [[ " ${packages[*]} " == *" $p "* ]] || packages+=("$p") ;;
		esac
	done
done
[ "${#missing[@]}" -eq 0 ] && [ "${#optional[@]}" -eq 0 ] && exit 0

[ "${#missing[@]}" -gt 0 ] && echo "deps: missing: ${missing[*]}" >&2
[ "${#optional[@]}" -gt 0 ] &&
	echo "deps: missing, optional (the cells or tests that need them are skipped, saying why): ${optional[*]}" >&2
if [ -n "$check_only" ] || [ "$(id -u)" != 0 ] || [ -z "$pm" ]; then
	[ "${#missing[@]}" -eq 0 ] && exit 0
	[ -n "$pm" ] && [ "${#packages[@]}" -gt 0 ] &&
		echo "deps: as root, install them with: $pm install ${packages[*]}" >&2
	exit 3
fi

# shellcheck disable=SC2068 # package lists split on purpose
case $pm in
	apt-get)
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq && {
			for p in "${maybe[@]}"; do
				apt-cache show "$p" >/dev/null 2>&1 && packages+=("$p")
			done
			apt-get install -y -qq --no-install-recommends ${packages[@]}
		} ;;
	dnf) dnf install -y -q ${packages[@]} ;;
	apk) apk add -q --update-cache ${packages[@]} ;;
	pacman) pacman -Sy --noconfirm --needed ${packages[@]} ;;
esac >&2 || { echo "deps: $pm could not install: ${packages[*]}" >&2; exit 3; }

# Where the distribution has no bats-support/bats-assert, npm's registry does.
for lib in bats-support bats-assert; do
	have_bats_lib "$lib" && continue
	if command -v npm >/dev/null && npm install -g --silent "$lib" >&2; then
		mkdir -p /usr/lib/bats && ln -sfn "$(npm root -g)/$lib" "/usr/lib/bats/$lib"
	fi
done

# Ask again: only what is really there counts.
exec "$0" --check "$what"
