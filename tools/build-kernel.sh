#!/usr/bin/env bash
# Builds a small x86-64 kernel for ./run-tests.sh --kernel from a kernel
# source tree: a base config (tinyconfig, or defconfig as kernel developers
# start), tools/kernel.config merged onto it, options turned off on request,
# and a check that olddefconfig left every option as asked.
set -u

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fragment=$src/tools/kernel.config

usage() {
	cat <<'EOF'
usage: tools/build-kernel.sh SRC OUT [--disable OPTION]... [--base tinyconfig|defconfig]
                             [--jobs N] [--no-install]
Builds an x86-64 kernel from the source tree SRC (it may be read-only: the
build is out of tree, make O=OUT) with tools/kernel.config merged onto the
base config, and copies it to OUT/bzImage, beside its OUT/.config.
  --disable OPTION  turn OPTION off (CONFIG_IPC_NS or IPC_NS); repeatable. What
                    depends on it goes off too, and is reported
  --base BASE       tinyconfig (default: much faster) or defconfig
  --jobs N          make -jN (default: the number of CPUs)
  --no-install      install nothing; only say what is missing
Nothing is built when OUT/bzImage exists and OUT/.config is the one these
arguments give. Prints the bzImage's path on standard output.
Then: ./run-tests.sh --kernel OUT/bzImage (its config is found beside it).
exit: 0 built or cached, 1 the build failed or the config is not as asked,
      2 usage, 3 missing tools (tools/deps.sh kernel)
EOF
}

say() { printf 'build-kernel: %s\n' "$*" >&2; }
die() { say "$2"; exit "$1"; }
usage_error() { say "$1"; usage >&2; exit 2; }

ksrc="" out="" base=tinyconfig jobs="" install=1 disable=()
positional=()
while [ $# -gt 0 ]; do
	case $1 in
		--disable | --base | --jobs)
			{ [ $# -ge 2 ] && [ -n "$2" ]; } || usage_error "$1 needs a value"
			case $1 in
				--disable)
					[[ $2 =~ ^(CONFIG_)?([A-Za-z0-9_]+)$ ]] ||
						usage_error "--disable wants a kernel option (CONFIG_X or X), not '$2'"
					disable+=("${BASH_REMATCH[2]}") ;;
				--base) base=$2 ;;
				--jobs) jobs=$2 ;;
			esac
			shift 2 ;;
		--no-install) install=""; shift ;;
		-h | --help) usage; exit 0 ;;
		-*) usage_error "unknown argument '$1'" ;;
		*) positional+=("$1"); shift ;;
	esac
done
[ "${#positional[@]}" -eq 2 ] || usage_error "SRC and OUT are required (and nothing else without an option)"
ksrc=${positional[0]} out=${positional[1]}
case $base in
	tinyconfig | defconfig) ;;
	*) usage_error "--base is tinyconfig or defconfig, not '$base'" ;;
esac
if [ -n "$jobs" ]; then
	[[ $jobs =~ ^[1-9][0-9]{0,3}$ ]] || usage_error "--jobs wants a number of jobs, not '$jobs'"
else
	jobs=$(nproc)
fi
{ [ -f "$ksrc/Makefile" ] && [ -f "$ksrc/scripts/kconfig/merge_config.sh" ] && [ -d "$ksrc/arch/x86" ]; } ||
	usage_error "'$ksrc' is not a Linux source tree (no Makefile, scripts/kconfig/merge_config.sh, arch/x86)"
ksrc=$(cd "$ksrc" && pwd)
case $(realpath -m -- "$out")/ in
	"$ksrc"/*) usage_error "OUT must be outside SRC (the build is out of tree)" ;;
esac

# An option this kernel does not have would be "off" without a word: a typo
# would make a kernel with everything on.
for o in "${disable[@]}"; do
	grep -rqsE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+${o}[[:space:]]*\$" "$ksrc" ||
		usage_error "--disable $o: this kernel has no option CONFIG_$o"
done

[ "$(uname -m)" = x86_64 ] || die 3 "builds x86-64 kernels on an x86-64 machine only (this is $(uname -m))"
deps=(kernel)
[ -z "$install" ] && deps=(--check kernel)
"$src/tools/deps.sh" "${deps[@]}" || die 3 "missing tools to build a kernel (see above)"

mkdir -p "$out" 2>/dev/null
{ [ -d "$out" ] && [ -w "$out" ]; } || die 3 "cannot write to $out"
out=$(cd "$out" && pwd)

export LC_ALL=C
log=$out/build-kernel.log
: >"$log"
# ARCH as the kernel makes it on this machine (x86): tools/kernel.config has
# 64BIT=y, which tinyconfig (allnoconfig) turns off.
kmake() { make -C "$ksrc" O="$out" "$@"; }

# options FILE: the options FILE sets, "NAME=VALUE" a line (VALUE "n" for
# "is not set" and for an option not there at all).
options() {
	sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=\(.*\)/\1=\2/p; s/^# CONFIG_\([A-Za-z0-9_]*\) is not set$/\1=n/p' "$1"
}
# value NAME FILE: NAME's value in the options file FILE ("n" if absent).
value() {
	local v
	v=$(sed -n "s/^$1=//p" "$2")
	printf '%s' "${v:-n}"
}

# make_config OUT_FILE [OPTION...]: the base, the fragment, the OPTIONs off,
# olddefconfig; the options of the result go to OUT_FILE.
make_config() {
	local file=$1 o
	shift
	{
		kmake -s "$base" &&
			(cd "$out" && sh "$ksrc/scripts/kconfig/merge_config.sh" -m .config "$fragment") &&
			for o in "$@"; do
				bash "$ksrc/scripts/config" --file "$out/.config" --disable "$o" || exit 1
			done &&
			kmake -s olddefconfig
	} >>"$log" 2>&1 || return 1
	options "$out/.config" >"$file"
}

# The config these arguments give, made in OUT: the one there is kept aside
# (with its time: make compares them) to tell whether the build is cached.
work=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-build-kernel.XXXXXX") || die 3 "cannot make a temporary directory"
trap 'rm -rf "$work"' EXIT
[ -f "$out/.config" ] && cp -p "$out/.config" "$work/previous"

# First with nothing off: the fragment must hold on this kernel and base.
say "config: $base + tools/kernel.config${disable[*]:+, off: ${disable[*]}} (kernel $(kmake -s kernelversion 2>/dev/null))"
make_config "$work/full" || { tail -n 20 "$log" >&2; die 1 "cannot make the config (above; all of it in $log)"; }
wanted=$(options "$fragment")
bad=()
while IFS='=' read -r name v; do
	[ "$(value "$name" "$work/full")" = "$v" ] || bad+=("CONFIG_$name (asked $v, got $(value "$name" "$work/full"))")
done <<<"$wanted"
[ "${#bad[@]}" -eq 0 ] ||
	die 1 "olddefconfig did not keep tools/kernel.config on $base: ${bad[*]} (its dependencies are off in this kernel?)"

if [ "${#disable[@]}" -gt 0 ]; then
	make_config "$work/final" "${disable[@]}" || { tail -n 20 "$log" >&2; die 1 "cannot make the config (above; all of it in $log)"; }
	bad=()
	for o in "${disable[@]}"; do
		v=$(value "$o" "$work/final")
		[ "$v" = n ] || bad+=("CONFIG_$o (is $v: something selects it)")
	done
	[ "${#bad[@]}" -eq 0 ] || die 1 "olddefconfig turned back on what --disable turned off: ${bad[*]}"
	# The rest of the difference follows from the options turned off.
	also=()
	while IFS='=' read -r name v; do
		[[ " ${disable[*]} " == *" $name "* ]] && continue
		got=$(value "$name" "$work/final")
		[ "$got" = "$v" ] || also+=("CONFIG_$name=$got")
	done <<<"$wanted"
	[ "${#also[@]}" -gt 0 ] && say "also off, as they depend on what --disable turned off: ${also[*]}"
	others=$(sort "$work/full" "$work/final" | uniq -u | cut -d = -f 1 | sort -u | wc -l)
	say "$others option(s) of the whole config differ from the kernel with nothing off"
fi

if [ -f "$out/bzImage" ] && [ -f "$work/previous" ] && cmp -s "$work/previous" "$out/.config"; then
	cp -p "$work/previous" "$out/.config"
	say "cached: $out/bzImage was built from this very config; nothing to do"
	printf '%s\n' "$out/bzImage"
	exit 0
fi

# A bzImage of another config must not pass for this one if the build fails.
rm -f "$out/bzImage"
say "building $(kmake -s kernelrelease 2>/dev/null) with make -j$jobs in $out"
started=$SECONDS
kmake -s -j"$jobs" bzImage || die 1 "the build failed (make's output above)"
cp "$out/arch/x86/boot/bzImage" "$out/bzImage" || die 1 "no bzImage came out of the build"
t=$((SECONDS - started))
say "built $out/bzImage in $((t / 60)) min $((t % 60)) s ($(du -k "$out/bzImage" | cut -f 1) KiB)"
printf '%s\n' "$out/bzImage"
