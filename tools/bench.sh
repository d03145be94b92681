#!/usr/bin/env bash
# Times the suite: runs ./run-tests.sh RUNS times and reports the median,
# min and max wall time, the time per verified (non-skipped) cell, and the
# peak memory (the largest process of the run, as getrusage reports it).
# With --kernel, the same for the suite inside a QEMU guest of that kernel:
# the suite's own time there, and the boot. Figures go in README; no test
# depends on them.
set -u

usage() {
	cat <<'EOF'
usage: tools/bench.sh [RUNS] [--kernel BZIMAGE [--modules DIR] [--config FILE]]
  RUNS     how many timed runs (1..50, default 5; 3 with --kernel), after one
           untimed run that builds the probes and warms the caches
  --kernel time ./run-tests.sh --kernel BZIMAGE instead: the suite's time in
           the guest, and the time to reach /init (--modules and --config
           go to it: a distribution's kernel needs its modules for 9p)
exit: 0 measured, 1 the suite failed, 2 usage, 3 cannot run
EOF
}

runs="" kernel="" config="" modules=""
while [ $# -gt 0 ]; do
	case $1 in
		-h | --help) usage; exit 0 ;;
		--kernel | --config | --modules)
			[ -n "${2:-}" ] || { usage >&2; exit 2; }
			case $1 in --kernel) kernel=$2 ;; --config) config=$2 ;; *) modules=$2 ;; esac
			shift 2 ;;
		'' | *[!0-9]*) usage >&2; exit 2 ;;
		*) [ -z "$runs" ] || { usage >&2; exit 2; }; runs=$1; shift ;;
	esac
done
[ -z "$config$modules" ] || [ -n "$kernel" ] || { echo "bench: --config and --modules go with --kernel" >&2; usage >&2; exit 2; }
[ -n "$runs" ] || runs=$([ -n "$kernel" ] && echo 3 || echo 5)
if [ "$runs" -lt 1 ] || [ "$runs" -gt 50 ]; then
	usage >&2
	exit 2
fi
[ -z "$kernel" ] || [ -f "$kernel" ] || { echo "bench: no kernel file '$kernel'" >&2; exit 2; }
[ -z "$modules" ] || [ -d "$modules" ] || { echo "bench: no modules directory '$modules'" >&2; usage >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench: python3 is not installed (tools/deps.sh run)" >&2; exit 3; }

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-bench.XXXXXX") || exit 3
trap 'rm -rf "$out"' EXIT

suite=("$src/run-tests.sh" --no-install)
[ -n "$kernel" ] && suite+=(--kernel "$kernel")
[ -n "$config" ] && suite+=(--config "$config")
[ -n "$modules" ] && suite+=(--modules "$modules")

# timed DIR: one run into DIR; prints "WALL_MS PEAK_KIB" (getrusage of the
# children: the largest process of the run's tree).
timed() {
	python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
ms = (time.monotonic() - t) * 1000
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{ms:.0f} {kib}")
sys.exit(rc)
EOF
}

"${suite[@]}" --output "$out/warm" >"$out/warm.log" 2>&1 ||
	{ tail -n 5 "$out/warm.log" >&2; echo "bench: the suite does not pass; fix that first" >&2; exit 1; }
for i in $(seq "$runs"); do
	timed "${suite[@]}" --output "$out/$i" >>"$out/times" 2>"$out/$i.log" ||
		{ echo "bench: run $i failed" >&2; exit 1; }
	# In a guest: the suite's own time and the boot, as vm-run.sh reports them.
	if [ -n "$kernel" ]; then
		sed -n 's/.*reached \([0-9.]*\) s after start, the suite ran \([0-9.]*\) s.*/\1 \2/p' \
			"$out/$i/RESULTS.md" | head -n 1 >>"$out/guest"
	fi
done
cells=$(jq '[.cells[] | select(.verdict != "skip")] | length' "$out/1/results.json" 2>/dev/null ||
	python3 -c 'import json,sys; print(sum(c["verdict"] != "skip" for c in json.load(open(sys.argv[1]))["cells"]))' "$out/1/results.json")

# median of column C of FILE, with min and max
stats() {
	sort -n -k "$2" "$1" | awk -v c="$2" '{ t[NR] = $c } END {
		m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		print m, t[1], t[NR] }'
}
read -r med min max < <(stats "$out/times" 1)
read -r peak _ < <(sort -n -k 2 "$out/times" | tail -n 1 | awk '{ print $2 }')
what="full run"
[ -n "$kernel" ] && what="--kernel ${kernel##*/} (boot, suite, power-off)"
awk -v w="$what" -v n="$runs" -v med="$med" -v min="$min" -v max="$max" -v cells="$cells" \
	-v peak="$peak" -v cores="$(nproc)" 'BEGIN {
	printf "%s: median %.2f s over %d runs (min %.2f, max %.2f) on %d cores\n",
		w, med / 1000, n, min / 1000, max / 1000, cores
	printf "%d cells verified: %.1f ms a cell; peak memory %.1f MiB (largest process)\n",
		cells, med / cells, peak / 1024 }'
if [ -s "${out}/guest" ]; then
	read -r gmed gmin gmax < <(stats "$out/guest" 2)
	read -r bmed _ < <(stats "$out/guest" 1)
	awk -v med="$gmed" -v min="$gmin" -v max="$gmax" -v boot="$bmed" -v cells="$cells" 'BEGIN {
		printf "in the guest: the suite ran median %.1f s (min %.1f, max %.1f), %.0f ms a cell; /init reached after %.1f s\n",
			med, min, max, med * 1000 / cells, boot }'
fi
