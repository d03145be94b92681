#!/usr/bin/env bats
# tools/report.sh: cells and run facts in, results.json and RESULTS.md out.
# The sample is written by hand so every verdict, an empty observation and a
# detail full of characters JSON and Markdown treat specially are all present.
# report.sh writes nothing on stdout, so "run" (stdout and stderr together)
# shows its messages; it is also cheaper than run --separate-stderr.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
REPORT=$IPCNS_SRC/tools/report.sh

# Quote, backslash, pipe, a control character (\x01) and UTF-8: no tab, which
# would end the field.
NASTY_DETAIL=$'probe: "quoted" back\\slash a|b ctl\x01 caf\xc3\xa9 \xe2\x9c\x93'

# write_sample CELLS META: the hand-written run.
write_sample() {
	local t=$'\t'
	{
		# answer: isolated (observed)
		printf '%s\n' "sysv-shm${t}host-to-ns${t}clone${t}ipc${t}isolated${t}isolated${t}pass${t}probe-sysv: shmget(0x1, 0): ENOENT${t}ipc/namespace.c"
		# a deviation: expected isolated, observed shared
		printf '%s\n' "sysv-msg${t}host-to-ns${t}clone${t}ipc${t}isolated${t}shared${t}fail${t}get at clone read the object's value 101${t}ipc/namespace.c: own ids"
		# expected isolated, nothing observed: must stay out of the answer
		printf '%s\n' "posix-mq${t}host-to-ns${t}clone3${t}ipc${t}isolated${t}${t}fail${t}${NASTY_DETAIL}${t}ipc/mqueue.c"
		printf '%s\n' "posix-sem${t}host-to-ns${t}util-linux${t}ipc${t}shared${t}${t}skip${t}util-linux unshare is not installed${t}glibc /dev/shm"
		printf '%s\n' "fifo${t}host-to-ns${t}clone${t}ipc${t}shared${t}shared${t}pass${t}get at clone read the object's value 101${t}a path"
		printf '%s\n' "pipe${t}inherited${t}clone${t}ipc${t}crosses${t}crosses${t}pass${t}the parent got 107 from the child${t}a file descriptor"
		printf '%s\n' "posix-shm${t}ns-to-host${t}clone${t}ipc+mnt${t}isolated${t}isolated${t}pass${t}shm_open: ENOENT${t}fresh tmpfs"
	} >"$1"
	printf '%s\n' 'kernel	6.1.0-test' 'arch	x86_64' 'distro	Debian GNU/Linux 12 (bookworm)' \
		'privilege	root' 'util-linux	2.38.1' 'bats	1.8.2' 'cc	gcc 12.2.0' \
		'date	2025-01-02T03:04:05Z' 'duration	6.25' 'run_id	test-1' \
		'note	leak check: nothing left behind' 'colour	an-unknown-key' >"$2"
}

# report_into DIR CELLS META: report.sh's outputs in DIR/out, its exit status
# in DIR/status, its messages in DIR/stderr.
report_into() {
	mkdir -p "$1"
	"$REPORT" "$2" "$3" "$1/out" 2>"$1/stderr"
	echo $? >"$1/status"
}

# Every report the tests read is written once, here, where it costs no more
# than the processes it runs.
setup_file() {
	export SAMPLE=$BATS_FILE_TMPDIR/sample EMPTY=$BATS_FILE_TMPDIR/empty
	mkdir -p "$SAMPLE" "$EMPTY"
	write_sample "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv"
	report_into "$SAMPLE" "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv"
	: >"$EMPTY/empty.tsv"
	report_into "$EMPTY" "$EMPTY/empty.tsv" "$EMPTY/empty.tsv"
	if command -v mawk >/dev/null && command -v gawk >/dev/null; then
		AWK=mawk report_into "$BATS_FILE_TMPDIR/mawk" "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv"
		AWK=gawk report_into "$BATS_FILE_TMPDIR/gawk" "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv"
	fi
}

# assert_reported DIR: report.sh exited 0 there and said nothing.
assert_reported() {
	local status_there
	read -r status_there <"$1/status"
	assert_equal "$status_there" 0
	[ ! -s "$1/stderr" ] || fail "stderr: $(<"$1/stderr")"
}

need_jq() {
	command -v jq >/dev/null || skip "jq is not installed: cannot parse results.json"
}

# assert_md_line LINE...: each LINE is a whole line of the sample's RESULTS.md
# (grep, not assert_line: a bash loop over every line is slow).
assert_md_line() {
	local line
	for line; do
		grep -Fxq -e "$line" "$SAMPLE/out/RESULTS.md" || fail "RESULTS.md lacks the line: $line"
	done
}

@test "results.json: valid JSON of the agreed shape; cells in order; null observed; the detail round-trips" {
	assert_reported "$SAMPLE"
	# the temporaries were renamed into place; none is left behind
	run ls -A "$SAMPLE/out"
	assert_output $'RESULTS.md\nresults.json'
	# escaped as JSON wants, without jq's help: \", \\, \u0001, UTF-8 as is
	run grep -F -o -e 'probe: \"quoted\" back\\slash a|b ctl\u0001 café ✓' -e '"observed": null' \
		"$SAMPLE/out/results.json"
	assert_equal "${#lines[@]}" 3
	need_jq
	run jq -e -r '([keys_unsorted[]] | join(" ")),
		([.schema, .kernel, .privilege, .tools, .duration_s, .summary] | tojson),
		([.cells[].mechanism] | join(" ")),
		(.cells[2] | [.observed, .expected, .verdict, has("why")] | tojson),
		.cells[2].detail' "$SAMPLE/out/results.json"
	assert_success
	assert_line --index 0 "schema kernel arch distro privilege tools date run_id duration_s summary cells"
	assert_line --index 1 '[1,"6.1.0-test","root",{"util-linux":"2.38.1","bats":"1.8.2","cc":"gcc 12.2.0"},6.25,{"pass":4,"fail":2,"skip":1}]'
	assert_line --index 2 "$(cut -f1 "$SAMPLE/cells.tsv" | paste -s -d ' ')"
	assert_line --index 3 '[null,"isolated","fail",false]'
	assert_line --index 4 "$NASTY_DETAIL"
}

# shellcheck disable=SC2016 # the backquotes are Markdown, meant literally
@test "RESULTS.md: header, counts, an answer from observed values only, deviations, skips, notes" {
	run grep -e '^# ' -e '^Kernel ' -e '^7 cells' -e '^\*\*Answer' "$SAMPLE/out/RESULTS.md"
	assert_line --index 0 --regexp '^# [A-Z]'
	assert_line --index 1 --partial 'Kernel 6.1.0-test on x86_64, Debian GNU/Linux 12 (bookworm), run as root'
	assert_line --index 1 --partial 'took 6.25 s'
	assert_line --index 2 --partial '7 cells: 4 pass, 2 fail, 1 skipped.'
	local answer=${lines[3]}
	[[ $answer == *"isolated: sysv-shm."* ]] || fail "$answer"
	[[ $answer == *"did not isolate: sysv-msg, fifo."* ]] || fail "$answer"
	[[ $answer == *"crossed: pipe."* ]] || fail "$answer"
	# expected isolated (posix-mq) or shared (posix-sem), but never observed
	[[ $answer != *posix-* ]] || fail "$answer"
	assert_md_line '- **SysV message queue (`sysv-msg`), host → ns, entry clone, namespaces ipc**' \
		'  - expected: **isolated**, because: ipc/namespace.c: own ids' \
		'  - observed: **shared**' \
		'- **POSIX message queue (`posix-mq`), host → ns, entry clone3, namespaces ipc**' \
		'  - observed: **no observation**' \
		'  - detail: probe: "quoted" back\\slash a\|b ctl\\x01 café ✓' \
		'- POSIX named semaphore (`posix-sem`), host → ns, entry util-linux, namespaces ipc: util-linux unshare is not installed' \
		'## Run notes' '- leak check: nothing left behind' '## How to read this'
	# unknown meta keys and raw control characters stay out
	run grep -c -e an-unknown-key -e $'[\x01-\x08\x0b-\x1f]' "$SAMPLE/out/RESULTS.md"
	assert_output 0
}

# shellcheck disable=SC2016 # the backquotes are Markdown, meant literally
@test "RESULTS.md: tables summarise entries, mark the deviation, stay valid" {
	run grep '^|' "$SAMPLE/out/RESULTS.md"
	assert_line --partial '| SysV shared memory (`sysv-shm`) | isolated (clone) | — |'
	assert_line --partial '| **shared** ✗ via clone (expected isolated) |'
	assert_line --partial '| **no observation** ✗ via clone3 (expected isolated) |'
	assert_line --partial '| skipped (util-linux) |'
	assert_line '| Pipe (`pipe`) | crosses | — | — |'
	assert_line '| Mechanism | ipc+mnt: host → ns | ipc+mnt: ns → host |'
	assert_line '| POSIX shared memory (`posix-shm`) | — | isolated (clone) |'
	# every line of a table has as many cell borders (unescaped |) as its first
	run awk '
		!/^\|/ { width = ""; next }
		{ line = $0; gsub(/\\\|/, "", line); n = gsub(/\|/, "", line) }
		width == "" { width = n }
		n != width { print FNR ": " $0; bad = 1 }
		END { exit bad }' "$SAMPLE/out/RESULTS.md"
	assert_success
}

@test "an empty cells file and an empty meta file are a valid, empty run" {
	assert_reported "$EMPTY"
	run grep -h -e '^0 cells' -e '^Kernel' -e '"cells"' "$EMPTY/out/RESULTS.md" "$EMPTY/out/results.json"
	assert_line --index 0 --partial 'Kernel unknown on unknown'
	assert_line --index 1 '0 cells: this run recorded no measurement.'
	assert_line --index 2 ' "cells": []}'
}

@test "exit 2 for usage and malformed lines (naming the line, the old report kept), 3 when OUTDIR cannot be made" {
	local out=$BATS_TEST_TMPDIR/out
	run "$REPORT" "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv"
	assert_equal "$status" 2
	assert_output --partial 'usage: report.sh CELLS_TSV META_TSV OUTDIR'
	run "$REPORT" "$BATS_TEST_TMPDIR/missing.tsv" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 2
	assert_output --partial "cannot read the cells file '$BATS_TEST_TMPDIR/missing.tsv'"
	assert_output --partial 'usage:'
	[ ! -e "$out" ]

	mkdir "$out"
	echo old >"$out/results.json"
	{
		head -n 2 "$SAMPLE/cells.tsv"
		printf 'sysv-msg\thost-to-ns\tclone\tipc\tisolated\tisolated\tpass\tonly eight fields\n'
	} >"$BATS_TEST_TMPDIR/short.tsv"
	run "$REPORT" "$BATS_TEST_TMPDIR/short.tsv" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 2
	assert_output --partial 'line 3: has 8 tab-separated fields'
	run ls -A "$out"
	assert_output results.json
	local kept
	read -r kept <"$out/results.json"
	assert_equal "$kept" old

	sed '2s/\tfail\t/\tFAILED\t/' "$SAMPLE/cells.tsv" >"$BATS_TEST_TMPDIR/verdict.tsv"
	run "$REPORT" "$BATS_TEST_TMPDIR/verdict.tsv" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 2
	assert_output --partial 'line 2: unknown verdict "FAILED"'

	run "$REPORT" "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv" "$out/results.json/sub"
	assert_equal "$status" 3
	assert_output --partial 'could not write'
}

@test "mawk and gawk write the same report" {
	[ -d "$BATS_FILE_TMPDIR/gawk" ] || skip "needs both mawk and gawk"
	assert_reported "$BATS_FILE_TMPDIR/mawk"
	assert_reported "$BATS_FILE_TMPDIR/gawk"
	diff -r "$BATS_FILE_TMPDIR/mawk/out" "$BATS_FILE_TMPDIR/gawk/out"
}
