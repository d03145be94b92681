# shellcheck shell=bash
# shellcheck disable=SC2154 # status, output, stderr: set by Bats' run
# What the project's own Bats tests share.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

assert_stderr_has() {
	[[ $stderr == *"$1"* ]] || fail "stderr lacks '$1'; it was: ${stderr:-<empty>}"
}

# expect_usage CMD...: a usage error: exit 2, "usage:" on stderr, nothing on
# stdout. Plain tests rather than assert_output: this runs dozens of times,
# and each assert_output costs ~6 ms under Bats' tracing.
expect_usage() {
	run -2 --separate-stderr "$@"
	assert_stderr_has "usage:"
	[[ -z $output ]] || fail "$* printed on stdout: $output"
}
