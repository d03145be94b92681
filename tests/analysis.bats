#!/usr/bin/env bats
# Static analysis and sanitizers: shellcheck on every script, cppcheck on
# the C, and the whole suite again with probes built with ASan and UBSan,
# where a sanitizer's report aborts a probe and so fails its cell.

load helpers

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"

@test "shellcheck finds nothing in the shell code" {
	command -v shellcheck >/dev/null || skip "shellcheck is not installed"
	cd "$IPCNS_SRC"
	run -0 shellcheck -x run-tests.sh .ci/run probes/*.sh probes/lib/*.sh suites/*.sh tools/*.sh \
		tests/helpers.bash tests/user-copy.bash tests/cells.bash tests/runtimes.bash suites/helpers.bash
}

@test "cppcheck finds nothing in the C" {
	command -v cppcheck >/dev/null || skip "cppcheck is not installed"
	cd "$IPCNS_SRC"
	run -0 cppcheck --quiet --enable=warning,portability,performance --std=c11 -D_GNU_SOURCE \
		-DHAVE_STRERRORNAME_NP -I probes/lib --error-exitcode=1 --inline-suppr \
		--suppress=normalCheckLevelMaxBranches probes tools/*.c tests/*.c
}

@test "the full suite passes with probes built with ASan and UBSan" {
	[ "$(id -u)" = 0 ] || skip "the full matrix needs root"
	local build=$BATS_TEST_TMPDIR/asan
	meson setup "$build" "$IPCNS_SRC" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
		fail "meson setup of the sanitizer build failed"
	ninja -C "$build" >/dev/null || fail "the sanitizer build failed"
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 IPCNS_PROBES=$build/probes \
		run -0 "$IPCNS_SRC/run-tests.sh" --no-install --build "$build" --output "$BATS_TEST_TMPDIR/out"
	assert_output --partial " 0 fail, 0 skipped"
}
