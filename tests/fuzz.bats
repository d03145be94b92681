#!/usr/bin/env bats
# The probes' argument parsing under libFuzzer, for a bounded time.

load helpers

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"

@test "libFuzzer finds no crash in the argument parsers in 20 s" {
	# tools/deps.sh test installs clang and its libFuzzer runtime; where the
	# distribution has none that builds or runs, fuzz.sh says why.
	run "$IPCNS_SRC/tools/fuzz.sh" --check
	[ "$status" = 0 ] || skip "${output#fuzz: }"
	run -0 "$IPCNS_SRC/tools/fuzz.sh" --seconds 20 --build "$BATS_TEST_TMPDIR/build"
	assert_output --regexp 'Done|DONE'
}
