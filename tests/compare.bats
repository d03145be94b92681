#!/usr/bin/env bats
# tools/record.py compare (./run-tests.sh --compare): several runs'
# results.json in, one Markdown table out. The runs are written by
# tools/record.py render, the suite's own writer, from a few cells each, so
# the format read here is the one the suite writes.

load helpers

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
COMPARE=("$IPCNS_SRC/tools/record.py" compare)

# record NAME PRIVILEGE KERNEL: NAME/results.json of a run whose cells come on
# stdin, one a line: mechanism scenario entry namespaces observed verdict.
record() {
	local dir=$BATS_FILE_TMPDIR/$1 mech scen entry ns obs verdict
	mkdir -p "$dir"
	while read -r mech scen entry ns obs verdict; do
		[ "$obs" = - ] && obs=""
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mech" "$scen" "$entry" "$ns" \
			isolated "$obs" "$verdict" "a detail" "a source"
	done >"$dir/cells.tsv"
	printf 'kernel\t%s\narch\tx86_64\ndistro\tTest Linux 1\nprivilege\t%s\ndate\t2026-01-02T03:04:05Z\n' \
		"$3" "$2" >"$dir/meta.tsv"
	"$IPCNS_SRC/tools/record.py" render "$dir/cells.tsv" "$dir/meta.tsv" "$dir"
}

setup_file() {
	record base root 6.18.0 <<-'EOF'
		sysv-msg host-to-ns clone ipc isolated pass
		posix-shm host-to-ns clone ipc shared pass
		posix-mq host-to-ns clone3 ipc isolated pass
		fifo host-to-ns clone ipc shared pass
	EOF
	# Another kernel: posix-shm deviates, posix-mq is skipped, fifo is missing.
	record other root 6.1.0 <<-'EOF'
		sysv-msg host-to-ns clone ipc isolated pass
		posix-shm host-to-ns clone ipc isolated fail
		posix-mq host-to-ns clone3 ipc - skip
	EOF
	record rootless rootless 6.18.0 <<-'EOF'
		sysv-msg host-to-ns clone ipc+user isolated pass
		posix-shm host-to-ns clone ipc+user shared pass
		posix-mq host-to-ns clone3 ipc+user isolated pass
		fifo host-to-ns clone ipc+user shared pass
	EOF
	# A root run's own user-namespace cell beside the same cell without it.
	record both root 6.18.0 <<-'EOF'
		kernel.msgmax rootless-write clone ipc+user allowed pass
		kernel.msgmax rootless-write clone ipc allowed pass
	EOF
	export BASE=$BATS_FILE_TMPDIR/base/results.json OTHER=$BATS_FILE_TMPDIR/other/results.json
	export ROOTLESS=$BATS_FILE_TMPDIR/rootless/results.json BOTH=$BATS_FILE_TMPDIR/both/results.json
}

# line_of TEXT: the number of the first line of $output that holds TEXT.
line_of() {
	grep -n -m 1 -F -- "$1" <<<"$output" | cut -d : -f 1
}

@test "usage errors: no file, an unknown option, --output without a file; an unreadable file exits 3" {
	expect_usage "${COMPARE[@]}"
	expect_usage "${COMPARE[@]}" --compare
	expect_usage "${COMPARE[@]}" --bogus "$BASE"
	expect_usage "${COMPARE[@]}" "$BASE" --output
	expect_usage "${COMPARE[@]}" "$BASE" --output ""
	expect_usage "${COMPARE[@]}" "$BASE" --output a --output b
	run -3 --separate-stderr "${COMPARE[@]}" "$BASE" "$BATS_TEST_TMPDIR/missing.json"
	assert_stderr_has "cannot read the record '$BATS_TEST_TMPDIR/missing.json'"
	run -3 --separate-stderr "${COMPARE[@]}" "$BATS_TEST_TMPDIR"
	assert_stderr_has "it is a directory"
	[ -z "$output" ] || fail "a half table on stdout: $output"
	run -0 "${COMPARE[@]}" --help
	assert_line --index 0 --partial "usage:"
}

@test "two runs: a column each, the differing rows first, the identical ones folded" {
	run -0 --separate-stderr "${COMPARE[@]}" "$BASE" "$OTHER"
	assert_line "# IPC namespace isolation: 2 runs compared"
	assert_line --partial "| #1 6.18.0<br>Test Linux 1<br>root<br>2026-01-02T03:04:05Z | #2 6.1.0<br>Test Linux 1<br>root<br>"
	assert_line "## Rows that differ between runs: 3"
	assert_line "| posix-shm | host-to-ns | clone | ipc | shared | isolated ✗ |"
	assert_line "| posix-mq | host-to-ns | clone3 | ipc | isolated | skip |"
	assert_line "| fifo | host-to-ns | clone | ipc | shared | — |"
	assert_line "## Rows identical in all runs: 1"
	assert_line "| sysv-msg | host-to-ns | clone | ipc | isolated |"
	# sysv-msg came first in both runs; the same everywhere, it comes last.
	[ "$(line_of '| posix-shm |')" -lt "$(line_of '| sysv-msg |')" ]
	[ "$(line_of '<details>')" -lt "$(line_of '| sysv-msg |')" ]
	assert_line --partial "| #2 | 6.1.0 | x86\_64 | Test Linux 1 | root |"
}

@test "a rootless run's ipc+user cells share a root run's ipc rows" {
	run -0 --separate-stderr "${COMPARE[@]}" "$BASE" "$ROOTLESS"
	assert_line "## Rows that differ between runs: 0"
	assert_line "## Rows identical in all runs: 4"
	assert_line "| sysv-msg | host-to-ns | clone | ipc, ipc+user | isolated |"
	assert_line --partial "| #2 | 6.18.0 | x86\_64 | Test Linux 1 | rootless |"
}

@test "a run with a cell both with and without +user keeps them in two rows" {
	run -0 --separate-stderr "${COMPARE[@]}" "$BOTH" "$ROOTLESS"
	assert_line "| kernel.msgmax | rootless-write | clone | ipc+user | allowed | — |"
	assert_line "| kernel.msgmax | rootless-write | clone | ipc | allowed | — |"
}

@test "./run-tests.sh --compare is the same table; --output writes it, with the mode of a new file" {
	run -0 --separate-stderr "${COMPARE[@]}" "$BASE" "$OTHER" "$ROOTLESS"
	local direct=$output
	run -0 --separate-stderr "$IPCNS_SRC/run-tests.sh" --compare "$BASE" "$OTHER" "$ROOTLESS" \
		--output "$BATS_TEST_TMPDIR/merged.md"
	[ -z "$output" ] || fail "--output printed on stdout: $output"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/merged.md")" "$direct"
	: >"$BATS_TEST_TMPDIR/new"
	assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/merged.md")" "$(stat -c %a "$BATS_TEST_TMPDIR/new")"
}

@test "cannot write: a missing directory or a directory as --output exit 3" {
	run -3 --separate-stderr "${COMPARE[@]}" "$BASE" --output "$BATS_TEST_TMPDIR/no/such/dir/out.md"
	assert_stderr_has "cannot write in"
	run -3 --separate-stderr "${COMPARE[@]}" "$BASE" --output "$BATS_TEST_TMPDIR"
	assert_stderr_has "is a directory"
}

# malformed NAME: a copy of the base run at $BATS_TEST_TMPDIR/NAME.json,
# changed by the sed script that follows.
malformed() {
	sed -e "$2" "$BASE" >"$BATS_TEST_TMPDIR/$1.json"
}

@test "a malformed file exits 3 naming the file and line, and writes nothing" {
	malformed schema3 's/"schema": 2,/"schema": 3,/'
	malformed cut "\$d"
	malformed comma 's/"verdict": "pass", "detail": "a detail"}$/&,/'
	malformed noverdict '/"mechanism": "sysv-msg"/s/"verdict": "pass", //'
	malformed nocells 's/"cells"/"cellz"/'
	printf 'not json at all\n' >"$BATS_TEST_TMPDIR/text.json"
	: >"$BATS_TEST_TMPDIR/empty.json"
	local name
	for name in schema3 cut comma noverdict nocells text empty; do
		run -3 --separate-stderr "${COMPARE[@]}" "$BASE" "$BATS_TEST_TMPDIR/$name.json" \
			--output "$BATS_TEST_TMPDIR/$name.md"
		assert_stderr_has "record.py compare: $BATS_TEST_TMPDIR/$name.json: "
		[ ! -e "$BATS_TEST_TMPDIR/$name.md" ] || fail "$name: an output was written"
	done
	run -3 --separate-stderr "${COMPARE[@]}" "$BATS_TEST_TMPDIR/schema3.json"
	assert_stderr_has "not a results.json of schema 1 or 2"
	run -3 --separate-stderr "${COMPARE[@]}" "$BATS_TEST_TMPDIR/cut.json"
	assert_stderr_has "cut.json: line "
	[ -z "$output" ] || fail "a half table on stdout: $output"
}

@test "a file reformatted by jq (one value a line) reads the same" {
	command -v jq >/dev/null || skip "jq is not installed"
	cd "$BATS_TEST_TMPDIR"
	mkdir as-written pretty
	cp "$OTHER" as-written/r.json
	jq . "$OTHER" >pretty/r.json
	run -0 --separate-stderr "${COMPARE[@]}" "$BASE" as-written/r.json
	local as_written=$output
	run -0 --separate-stderr "${COMPARE[@]}" "$BASE" pretty/r.json
	assert_equal "${output//pretty\/r.json/as-written\/r.json}" "$as_written"
}

@test "a record of schema 1 (before the kernel config was recorded) reads as one of schema 2" {
	cd "$BATS_TEST_TMPDIR"
	mkdir one two
	jq -c '.schema = 1 | del(.config, .sysctls)' "$OTHER" >one/r.json
	cp "$OTHER" two/r.json
	run -0 --separate-stderr "${COMPARE[@]}" "$BASE" one/r.json
	local schema1=$output
	run -0 --separate-stderr "${COMPARE[@]}" "$BASE" two/r.json
	assert_equal "${output//two\/r.json/one\/r.json}" "$schema1"
	# the committed records, both of schema 1
	run -0 --separate-stderr "${COMPARE[@]}" "$IPCNS_SRC/results/results.json" \
		"$IPCNS_SRC/results/examples/linux-6.1/results.json"
	assert_line "# IPC namespace isolation: 2 runs compared"
}
