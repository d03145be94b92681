#!/usr/bin/env bash
# Times the full suite: runs ./run-tests.sh RUNS times and reports the median
# wall time and the time per verified (non-skipped) cell. Figures go in README;
# no test depends on them.
set -u

runs=${1:-5}
case $runs in
	-h | --help) echo "usage: tools/bench.sh [RUNS]   (default 5, at most 50)"; exit 0 ;;
	'' | *[!0-9]*) echo "usage: tools/bench.sh [RUNS]   (RUNS: 1..50)" >&2; exit 2 ;;
esac
if [ "$runs" -lt 1 ] || [ "$runs" -gt 50 ]; then
	echo "usage: tools/bench.sh [RUNS]   (RUNS: 1..50)" >&2
	exit 2
fi

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/ipcns-bench.XXXXXX") || exit 3
trap 'rm -rf "$out"' EXIT

# One untimed run builds the probes and warms the caches.
"$src/run-tests.sh" --output "$out/warm" >/dev/null 2>&1 || { echo "bench: the suite does not pass; fix that first" >&2; exit 1; }
for i in $(seq "$runs"); do
	start=$(date +%s%N)
	"$src/run-tests.sh" --no-install --output "$out/$i" >/dev/null 2>&1 || { echo "bench: run $i failed" >&2; exit 1; }
	echo $(( ($(date +%s%N) - start) / 1000000 ))
done >"$out/times"
cells=$(awk -F '\t' '$7 != "skip"' "$out/1/cells.tsv" | wc -l)
sort -n "$out/times" | awk -v n="$runs" -v cells="$cells" -v cores="$(nproc)" '
	{ t[NR] = $1 }
	END {
		median = n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
		printf "full run: median %.2f s over %d runs (min %.2f, max %.2f) on %d cores\n",
			median / 1000, n, t[1] / 1000, t[n] / 1000, cores
		printf "%d cells verified: %.1f ms a cell\n", cells, median / cells
	}'
