# shellcheck shell=bash
# shellcheck disable=SC2154 # status, output, stderr: set by Bats' run
# The Bats side of the suites: a test measures cells with scenario.sh and its
# outcome follows from theirs. Everything else lives in scenario.sh.

bats_require_minimum_version 1.5.0
# The judge beside this file, for the tests of suites/audit/ as well.
SUITES_DIR=${BASH_SOURCE[0]%/*}

# measure --observe PROBE [ARG...]: fail on any deviation or broken
# measurement (the output lists every cell), skip when no cell could be
# measured (exit 4), else pass.
measure() {
	run "$SUITES_DIR/scenario.sh" "$@"
	case $status in
		0) ;;
		4) skip "$(grep -m 1 '^skip' <<<"$output")" ;;
		*)
			# Loaded only to fail: sourcing bats-support costs ~40 ms a
			# test, a third of a full run, and passing tests never need it.
			bats_load_library bats-support
			fail "$output"
			;;
	esac
}

# each PROBE [ARG...] -- ITEM...: a run of PROBE [ARG...] ITEM for each
# ITEM, added to OBSERVE for one measure.
OBSERVE=()
each() {
	local probe=() item
	while [ "$1" != -- ]; do
		probe+=("$1")
		shift
	done
	shift
	for item; do
		OBSERVE+=(--observe "${probe[@]}" "$item")
	done
}
