#!/usr/bin/env bats
# The probes' argument parsing under libFuzzer, for a bounded time.

load helpers

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"

@test "libFuzzer finds no crash in the argument parsers in 20 s" {
	command -v clang >/dev/null || skip "clang is not installed"
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void)d; (void)n; return 0; }' \
		>"$BATS_TEST_TMPDIR/t.c"
	clang -fsanitize=fuzzer "$BATS_TEST_TMPDIR/t.c" -o "$BATS_TEST_TMPDIR/t" 2>/dev/null ||
		skip "clang has no libFuzzer runtime here"
	run -0 "$IPCNS_SRC/tools/fuzz.sh" --seconds 20 --build "$BATS_TEST_TMPDIR/build"
	assert_output --regexp 'Done|DONE'
}
