#!/usr/bin/env bats
# meson install puts the probes in libexec, the rest in share, a command in
# bin; the installed command runs the suite.

load helpers

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"

@test "an installed tree runs the suite from its command in bindir" {
	[ "$(id -u)" = 0 ] || skip "the matrix needs root"
	local prefix=$BATS_TEST_TMPDIR/prefix build=$BATS_TEST_TMPDIR/build
	meson setup "$build" "$IPCNS_SRC" --prefix="$prefix" -Dunit_tests=disabled >/dev/null ||
		fail "meson setup failed"
	ninja -C "$build" >/dev/null || fail "build failed"
	meson install -C "$build" --quiet >/dev/null || fail "meson install failed"
	assert [ -x "$prefix/libexec/ipcns-tests/ipcns" ]
	assert [ -x "$prefix/share/ipcns-tests/suites/scenario.sh" ]
	assert [ -f "$prefix/share/ipcns-tests/fixtures/probe-named.tsv" ]
	# the shell probe: a link among the probes to its copy beside suites/
	assert [ -x "$prefix/libexec/ipcns-tests/probe-util-linux" ]
	assert [ -f "$prefix/share/ipcns-tests/probes/probe-util-linux.sh" ]
	assert [ -f "$prefix/share/ipcns-tests/probes/lib/util-linux.sh" ]
	# the stress tool's churn is not installed, nor its source
	assert [ ! -e "$prefix/libexec/ipcns-tests/churn" ]
	assert [ ! -e "$prefix/share/ipcns-tests/tools/churn.c" ]
	run -2 "$prefix/bin/ipcns-tests"
	assert_output --partial "pass --output DIR"
	run -0 "$prefix/bin/ipcns-tests" --output "$BATS_TEST_TMPDIR/out" --filter '^named|^inherited|^tools'
	assert_output --partial "125 cells: 125 pass"
}
