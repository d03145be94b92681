#!/usr/bin/env bash
# The opt-in test of kernels without a feature: from one kernel source tree,
# builds (cached) a kernel with tools/kernel.config and one with each of
# CONFIG_IPC_NS, CONFIG_POSIX_MQUEUE, CONFIG_SYSVIPC and CONFIG_USER_NS off,
# boots each with ./run-tests.sh --kernel, and checks its record: no cell
# fails or breaks because a feature is absent, the cells that need it skip
# naming the option (confirmed by the kernel's .config, which travels with
# it), and the exit status is the documented one. Writes each record under
# OUTPUT/linux-RELEASE-VARIANT/ and a table of them, with times, to
# OUTPUT/kernel-matrix.md.
set -u

usage() {
	cat <<'EOF'
usage: tools/kernel-matrix.sh SRC [--output DIR] [--cache DIR] [--only VARIANT]...
  SRC        a kernel source tree (e.g. Debian's linux-source-6.1, unpacked)
  --output   where the records and kernel-matrix.md go (default: ./kernel-matrix)
  --cache    where the kernels are built and kept (default:
             /var/tmp/ipcns-kernels; a kernel already built as asked is reused)
  --only     one of: full no-ipc-ns no-posix-mqueue no-sysvipc no-user-ns
exit: 0 every variant as expected, 1 a variant was not, 2 usage, 3 cannot run
EOF
}

say() { printf 'kernel-matrix: %s\n' "$*" >&2; }
ksrc="" output=kernel-matrix cache=/var/tmp/ipcns-kernels only=()
while [ $# -gt 0 ]; do
	case $1 in
		--output | --cache | --only)
			[ -n "${2:-}" ] || { say "$1 needs a value"; usage >&2; exit 2; }
			case $1 in
				--output) output=$2 ;;
				--cache) cache=$2 ;;
				*) only+=("$2") ;;
			esac
			shift 2 ;;
		-h | --help) usage; exit 0 ;;
		-*) say "unknown argument '$1'"; usage >&2; exit 2 ;;
		*) [ -z "$ksrc" ] || { usage >&2; exit 2; }; ksrc=$1; shift ;;
	esac
done
if [ -z "$ksrc" ] || [ ! -f "$ksrc/Makefile" ]; then
	say "no kernel source tree '${ksrc}'"
	usage >&2
	exit 2
fi
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# VARIANT: the option turned off ("" for none), and the exit status that
# run-tests.sh must give: with no IPC namespace nothing can be measured (4).
declare -A option=([full]="" [no-ipc-ns]=IPC_NS [no-posix-mqueue]=POSIX_MQUEUE
	[no-sysvipc]=SYSVIPC [no-user-ns]=USER_NS)
declare -A status=([full]=0 [no-ipc-ns]=4 [no-posix-mqueue]=0 [no-sysvipc]=0 [no-user-ns]=0)
variants=(full no-ipc-ns no-posix-mqueue no-sysvipc no-user-ns)
for v in "${only[@]}"; do
	[ -n "${status[$v]+set}" ] || { say "unknown variant '$v'"; usage >&2; exit 2; }
done
[ "${#only[@]}" -eq 0 ] || variants=("${only[@]}")
mkdir -p "$output" "$cache" || exit 3

failed=0
table=("| variant | build | boot | suite in the guest | cells | exit | verdict |" "|---|---|---|---|---|---|---|")
for v in "${variants[@]}"; do
	args=("$ksrc" "$cache/$v")
	[ -n "${option[$v]}" ] && args+=(--disable "CONFIG_${option[$v]}")
	t0=$SECONDS
	kernel=$("$src/tools/build-kernel.sh" "${args[@]}") || { say "$v: the build failed"; exit 3; }
	build_s=$((SECONDS - t0))
	release=$(sed -n 's/^# Linux\/x86 \([^ ]*\) Kernel Configuration$/\1/p' "$cache/$v/.config")
	record=$output/linux-${release:-unknown}-$v
	rc=0
	"$src/run-tests.sh" --kernel "$kernel" --output "$record" >"$record.log" 2>&1 || rc=$?
	why=()
	[ "$rc" = "${status[$v]}" ] || why+=("exit $rc, not ${status[$v]}")
	if [ -f "$record/results.json" ]; then
		# No cell may fail or break for want of the feature; the ones that
		# need it skip, naming the option.
		read -r pass fail skip broken named < <(python3 - "$record/results.json" "${option[$v]}" <<'EOF'
import json, sys
cells = json.load(open(sys.argv[1]))["cells"]
n = {v: sum(c["verdict"] == v for c in cells) for v in ("pass", "fail", "skip", "broken")}
opt = sys.argv[2]
named = sum(c["verdict"] == "skip" and ("CONFIG_%s is off" % opt) in (c["detail"] or "") for c in cells) if opt else 0
print(n["pass"], n["fail"], n["skip"], n["broken"], named)
EOF
		)
		[ "$fail" = 0 ] || why+=("$fail failed")
		[ "$broken" = 0 ] || why+=("$broken broken")
		[ -z "${option[$v]}" ] || [ "$named" -gt 0 ] || why+=("no skip names CONFIG_${option[$v]}")
		times=$(sed -n 's/.*reached \([0-9.]*\) s after start, the suite ran \([0-9.]*\) s.*/\1 s|\2 s/p' "$record/RESULTS.md" | head -n 1)
		cells="$pass pass, $fail fail, $skip skip ($named naming CONFIG_${option[$v]:-…}), $broken broken"
	else
		why+=("no record")
		times="–|–" cells="–"
	fi
	verdict=ok
	[ "${#why[@]}" -eq 0 ] || { verdict="NOT OK: ${why[*]}"; failed=1; }
	say "$v: $verdict (log $record.log)"
	table+=("| $v | ${build_s} s | ${times%%|*} | ${times#*|} | $cells | $rc | $verdict |")
done
{
	echo "# Kernels without a feature"
	echo
	echo "Built from \`$ksrc\` by tools/build-kernel.sh (tinyconfig and tools/kernel.config, one option off each; \"build\" is 0 s when cached) and booted with \`./run-tests.sh --kernel\` under QEMU by tools/kernel-matrix.sh."
	echo
	printf '%s\n' "${table[@]}"
} >"$output/kernel-matrix.md"
cat "$output/kernel-matrix.md"
exit "$failed"
