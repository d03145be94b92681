#!/usr/bin/env bats
# tools/record.py render: cells and run facts in; results.json, RESULTS.md,
# junit.xml and results.ktap out. The sample is written by hand so every
# verdict, an empty observation and a detail full of characters JSON,
# Markdown and XML treat specially are all present. record.py writes nothing
# on stdout, so "run" (stdout and stderr together) shows its messages; it is
# also cheaper than run --separate-stderr.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

: "${IPCNS_SRC:=$BATS_TEST_DIRNAME/..}"
RECORD=$IPCNS_SRC/tools/record.py

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
		'note	leak check: nothing left behind' 'colour	an-unknown-key' \
		'config_source	/proc/config.gz' 'config	CONFIG_IPC_NS	y' 'config	CONFIG_POSIX_MQUEUE	n' \
		'config	CONFIG_DEFAULT_HOSTNAME	"(none)"' 'sysctl	user.max_user_namespaces	63479' \
		'sysctl	kernel.apparmor_restrict_unprivileged_userns	1' 'target	reserved-for-later' >"$2"
}

# report_into DIR CELLS META: record.py's outputs in DIR/out, its exit status
# in DIR/status, its messages in DIR/stderr.
report_into() {
	mkdir -p "$1"
	"$RECORD" render "$2" "$3" "$1/out" 2>"$1/stderr"
	echo $? >"$1/status"
}

# to_jsonl TSV: the cells of TSV as JSON lines (observed empty: null).
to_jsonl() {
	python3 -c '
import json, sys
keys = "mechanism scenario entry namespaces expected observed verdict detail why".split()
for line in open(sys.argv[1], encoding="utf-8"):
    cell = dict(zip(keys, line.rstrip("\n").split("\t")))
    cell["observed"] = cell["observed"] or None
    print(json.dumps(cell))' "$1"
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
	to_jsonl "$SAMPLE/cells.tsv" >"$SAMPLE/cells.jsonl"
	report_into "$BATS_FILE_TMPDIR/jsonl" "$SAMPLE/cells.jsonl" "$SAMPLE/meta.tsv"
}

# assert_reported DIR: record.py exited 0 there and said nothing.
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
	assert_output $'RESULTS.md\njunit.xml\nresults.json\nresults.ktap'
	# escaped as JSON wants, without jq's help: \", \\, \u0001, UTF-8 as is
	run grep -F -o -e 'probe: \"quoted\" back\\slash a|b ctl\u0001 café ✓' -e '"observed": null' \
		"$SAMPLE/out/results.json"
	assert_equal "${#lines[@]}" 3
	need_jq
	run jq -e -r '([keys_unsorted[]] | join(" ")),
		([.schema, .kernel, .privilege, .tools, .duration_s, .summary, .config, .sysctls] | tojson),
		([.cells[].mechanism] | join(" ")),
		(.cells[2] | [.observed, .expected, .verdict, has("why")] | tojson),
		.cells[2].detail' "$SAMPLE/out/results.json"
	assert_success
	assert_line --index 0 "schema kernel arch distro privilege tools date run_id duration_s summary config sysctls cells"
	assert_line --index 1 '[2,"6.1.0-test","root",{"util-linux":"2.38.1","bats":"1.8.2","cc":"gcc 12.2.0"},6.25,{"pass":4,"fail":2,"skip":1,"broken":0},{"source":"/proc/config.gz","options":{"CONFIG_IPC_NS":"y","CONFIG_POSIX_MQUEUE":"n","CONFIG_DEFAULT_HOSTNAME":"\"(none)\""}},{"user.max_user_namespaces":"63479","kernel.apparmor_restrict_unprivileged_userns":"1"}]'
	assert_line --index 2 "$(cut -f1 "$SAMPLE/cells.tsv" | paste -s -d ' ')"
	assert_line --index 3 '[null,"isolated","fail",false]'
	assert_line --index 4 "$NASTY_DETAIL"
}

# shellcheck disable=SC2016 # the backquotes are Markdown, meant literally
@test "RESULTS.md: header, counts, an answer from observed values only, deviations, skips, notes" {
	run grep -e '^# ' -e '^Kernel .* on ' -e '^7 cells' -e '^\*\*Answer' "$SAMPLE/out/RESULTS.md"
	assert_line --index 0 --regexp '^# [A-Z]'
	assert_line --index 1 --partial 'Kernel 6.1.0-test on x86_64, Debian GNU/Linux 12 (bookworm), run as root'
	assert_line --index 1 --partial 'took 6.25 s'
	assert_md_line 'Kernel config (/proc/config.gz): CONFIG_IPC_NS=y, CONFIG_POSIX_MQUEUE=n, CONFIG_DEFAULT_HOSTNAME="(none)".' \
		'Sysctls: user.max_user_namespaces=63479, kernel.apparmor_restrict_unprivileged_userns=1.'
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
	run grep -c -e an-unknown-key -e reserved-for-later -e $'[\x01-\x08\x0b-\x1f]' "$SAMPLE/out/RESULTS.md"
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
	run grep -h -e '^0 cells' -e '^Kernel' -e '^Sysctls' -e '"cells"' -e '"config"' "$EMPTY/out/RESULTS.md" "$EMPTY/out/results.json"
	assert_line --index 0 --partial 'Kernel unknown on unknown'
	assert_line --index 1 'Kernel config: not available.'
	assert_line --index 2 'Sysctls: none recorded.'
	assert_line --index 3 '0 cells: this run recorded no measurement.'
	assert_line --index 4 ' "config": {"source": null, "options": {}},'
	assert_line --index 5 ' "cells": []}'
	run python3 "$BATS_TEST_DIRNAME/ktap_check.py" "$EMPTY/out/results.ktap"
	assert_success
	assert_equal "$(cat "$EMPTY/out/results.ktap")" $'KTAP version 1\n1..0'
}

@test "exit 2 for usage; 3 for an unreadable or malformed input (naming the line, the old record kept) or an OUTDIR that cannot be made" {
	local out=$BATS_TEST_TMPDIR/out
	run "$RECORD" render "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv"
	assert_equal "$status" 2
	assert_output --partial 'usage: record.py render CELLS META OUTDIR'
	run "$RECORD" bogus
	assert_equal "$status" 2
	assert_output --partial "unknown subcommand 'bogus'"
	run "$RECORD" render "$BATS_TEST_TMPDIR/missing.tsv" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 3
	assert_output --partial "cannot read the cells file '$BATS_TEST_TMPDIR/missing.tsv'"
	run "$RECORD" render "$SAMPLE/cells.tsv" "$BATS_TEST_TMPDIR" "$out"
	assert_equal "$status" 3
	assert_output --partial "cannot read the meta file '$BATS_TEST_TMPDIR': it is a directory"
	[ ! -e "$out" ]

	mkdir "$out"
	echo old >"$out/results.json"
	{
		head -n 2 "$SAMPLE/cells.tsv"
		printf 'sysv-msg\thost-to-ns\tclone\tipc\tisolated\tisolated\tpass\tonly eight fields\n'
	} >"$BATS_TEST_TMPDIR/short.tsv"
	run "$RECORD" render "$BATS_TEST_TMPDIR/short.tsv" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 3
	assert_output --partial 'line 3: has 8 tab-separated fields'
	run ls -A "$out"
	assert_output results.json
	local kept
	read -r kept <"$out/results.json"
	assert_equal "$kept" old

	sed '2s/\tfail\t/\tFAILED\t/' "$SAMPLE/cells.tsv" >"$BATS_TEST_TMPDIR/verdict.tsv"
	run "$RECORD" render "$BATS_TEST_TMPDIR/verdict.tsv" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 3
	assert_output --partial 'line 2: unknown verdict "FAILED"'

	sed '3s/"verdict": "fail", //' "$SAMPLE/cells.jsonl" >"$BATS_TEST_TMPDIR/noverdict.jsonl"
	run "$RECORD" render "$BATS_TEST_TMPDIR/noverdict.jsonl" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 3
	assert_output --partial 'noverdict.jsonl: line 3: no "verdict"'
	printf '{"mechanism": \n' >"$BATS_TEST_TMPDIR/cut.jsonl"
	run "$RECORD" render "$BATS_TEST_TMPDIR/cut.jsonl" "$SAMPLE/meta.tsv" "$out"
	assert_equal "$status" 3
	assert_output --partial 'cut.jsonl: line 1: not JSON'

	run "$RECORD" render "$SAMPLE/cells.tsv" "$SAMPLE/meta.tsv" "$out/results.json/sub"
	assert_equal "$status" 3
	assert_output --partial 'could not write'
	run ls -A "$out"
	assert_output results.json
}

@test "cells as JSON lines make the same record as tab-separated ones" {
	assert_reported "$BATS_FILE_TMPDIR/jsonl"
	diff -r "$SAMPLE/out" "$BATS_FILE_TMPDIR/jsonl/out"
}

@test "junit.xml: valid XML, a testcase a cell, failures and skips with their detail" {
	run python3 - "$SAMPLE/out/junit.xml" <<-'EOF'
		import sys, xml.etree.ElementTree as ET
		suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
		print(suite.get("tests"), suite.get("failures"), suite.get("skipped"))
		for case in suite.iter("testcase"):
		    bad = case.find("failure")
		    skipped = case.find("skipped")
		    print("%s|%s|%s" % (case.get("classname"), case.get("name"),
		          bad.get("message") + ": " + bad.text.replace("\n", " / ") if bad is not None
		          else "skipped: " + skipped.get("message") if skipped is not None else "pass"))
	EOF
	assert_success
	assert_line --index 0 '7 2 1'
	assert_line --index 1 'sysv-shm|host-to-ns clone ipc|pass'
	assert_line --index 2 "sysv-msg|host-to-ns clone ipc|expected isolated, observed shared: get at clone read the object's value 101 / expected because: ipc/namespace.c: own ids"
	assert_line --index 3 'posix-mq|host-to-ns clone3 ipc|expected isolated, observed no observation: probe: "quoted" back\slash a|b ctl\x01 café ✓ / expected because: ipc/mqueue.c'
	assert_line --index 4 'posix-sem|host-to-ns util-linux ipc|skipped: util-linux unshare is not installed'
	assert_equal "${#lines[@]}" 8
}

@test "results.ktap: strict KTAP version 1, a subtest a mechanism, skips with their reason" {
	local ktap=$SAMPLE/out/results.ktap
	run python3 "$BATS_TEST_DIRNAME/ktap_check.py" "$ktap"
	assert_success
	assert_output --partial 'KTAP version 1: 8 ok, 4 not ok, 2 skipped'
	run cat "$ktap"
	assert_line --index 0 'KTAP version 1'
	assert_line --index 1 '1..7'
	assert_line --index 2 '    KTAP version 1'
	assert_line --index 3 '    1..1'
	assert_line --index 4 '    ok 1 host-to-ns clone ipc'
	assert_line --index 5 'ok 1 sysv-shm'
	assert_line '    ok 1 host-to-ns util-linux ipc # SKIP util-linux unshare is not installed'
	assert_line 'ok 4 posix-sem # SKIP every cell skipped'
	assert_line "    # expected isolated, observed shared: get at clone read the object's value 101"
	assert_line 'not ok 2 sysv-msg'
}

# bad_ktap NAME SED: the sample's KTAP changed by SED must fail the checker.
bad_ktap() {
	local said rc=0
	sed -e "$2" "$SAMPLE/out/results.ktap" >"$BATS_TEST_TMPDIR/$1.ktap"
	said=$(python3 "$BATS_TEST_DIRNAME/ktap_check.py" "$BATS_TEST_TMPDIR/$1.ktap" 2>&1) || rc=$?
	[ "$rc" = 1 ] || fail "$1: the checker said (exit $rc): $said"
	[[ $said == *"$1.ktap: line "* ]] || fail "$1: no line named: $said"
}

# shellcheck disable=SC2016 # sed scripts, meant literally
@test "the KTAP checker is strict: it rejects malformed KTAP" {
	bad_ktap no-version '1d'
	bad_ktap no-sub-version '3d'
	bad_ktap tap13 '1s/.*/TAP version 13/'
	bad_ktap two-spaces '4s/^    /  /'
	bad_ktap tab '5s/^    /\t/'
	bad_ktap plan-short '2s/.*/1..6/'
	bad_ktap plan-long '4s/.*/    1..2/'
	bad_ktap numbers '5s/ok 1/ok 2/'
	bad_ktap hash-in-name '5s/clone/clo#ne/'
	bad_ktap no-name '5s/ ipc$//; 5s/ clone$//; 5s/ host-to-ns$//'
	bad_ktap passing-parent '/^not ok 2 sysv-msg/s/not ok/ok/'
	bad_ktap directive '5s/$/ # MAYBE/'
	bad_ktap blank '5s/.*//'
	bad_ktap trailing '$a trailing text'
	bad_ktap unknown-line '5a some kernel message'
}

@test "results.json matches tools/results.schema.json: the sample, an empty run, the committed records" {
	python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
	run python3 "$BATS_TEST_DIRNAME/schema_check.py" "$SAMPLE/out/results.json" "$EMPTY/out/results.json" \
		"$IPCNS_SRC"/results/results.json "$IPCNS_SRC"/results/examples/*/results.json
	assert_success
	assert_line --index 0 --partial 'valid, schema 2, 7 cells'
	jq '.cells[1].observed = 7 | del(.sysctls)' "$SAMPLE/out/results.json" >"$BATS_TEST_TMPDIR/bad.json"
	jq '.summary.pass = 5' "$SAMPLE/out/results.json" >"$BATS_TEST_TMPDIR/count.json"
	run python3 "$BATS_TEST_DIRNAME/schema_check.py" "$BATS_TEST_TMPDIR/bad.json" "$BATS_TEST_TMPDIR/count.json"
	assert_failure 1
	assert_line --partial "bad.json: (top): 'sysctls' is a required property"
	assert_line --partial 'bad.json: cells/1/observed: 7 is not valid'
	assert_line --partial 'count.json: summary:'
}

@test "a broken measurement is a verdict of its own: listed under Broken, an error in JUnit, not ok in KTAP" {
	local t=$'\t' dir=$BATS_TEST_TMPDIR/broken
	printf '%s\n' "sysv-msg${t}host-to-ns${t}clone${t}ipc${t}isolated${t}${t}broken${t}positive control failed: get at host: exit 3${t}ipc/namespace.c" \
		"sysv-msg${t}host-to-ns${t}unshare${t}ipc${t}isolated${t}isolated${t}pass${t}ENOENT${t}ipc/namespace.c" \
		>"$BATS_TEST_TMPDIR/cells.tsv"
	run -0 "$RECORD" render "$BATS_TEST_TMPDIR/cells.tsv" "$SAMPLE/meta.tsv" "$dir"
	run -0 jq -c '[.summary, .cells[0].verdict, .cells[0].observed]' "$dir/results.json"
	assert_output '[{"pass":1,"fail":0,"skip":0,"broken":1},"broken",null]'
	run -0 grep -A 4 '^## Broken' "$dir/RESULTS.md"
	assert_output --partial 'positive control failed: get at host: exit 3'
	run -0 grep -c '<error message="broken: no valid observation" type="broken">' "$dir/junit.xml"
	run -0 grep -B1 'not ok 1 host-to-ns clone ipc' "$dir/results.ktap"
	assert_output --partial '# broken: positive control failed'
	run -0 python3 "$BATS_TEST_DIRNAME/ktap_check.py" "$dir/results.ktap"
	run -0 python3 "$BATS_TEST_DIRNAME/schema_check.py" "$dir/results.json"
}
