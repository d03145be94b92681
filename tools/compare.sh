#!/usr/bin/env bash
# Merges the results.json (schema 1) of several runs - other kernels, distros,
# privileges - into one Markdown table: a row a cell, a column a run, the rows
# where the runs differ first. ./run-tests.sh --compare runs this.
#
# bash for the arguments and files, awk (POSIX: mawk, gawk, busybox) for the rest;
# no jq, so that the main job's dependencies are enough.
set -u

usage() {
	cat <<'EOF'
usage: ./run-tests.sh --compare RESULTS.json... [--output FILE]
       tools/compare.sh RESULTS.json... [--output FILE]
Merges the results.json files of several runs into one Markdown table: a row
for each cell (mechanism, scenario, entry, namespaces), a column for each run
(kernel, distro, privilege, date). Rows where the runs differ come first; the
rows identical in all runs follow, folded. A rootless run's ipc+user cells
share the rows of a root run's ipc cells.
  --output FILE  write the table there (default: standard output)
exit: 0 written, 2 usage (no file, a file unreadable, not schema 1 or
      malformed), 3 cannot write
EOF
}

say() { printf 'compare: %s\n' "$*" >&2; }

usage_error() {
	say "$1"
	usage >&2
	exit 2
}

output="" files=()
while [ $# -gt 0 ]; do
	case $1 in
		--compare) shift ;; # run-tests.sh passes its own arguments on
		--output)
			if [ $# -lt 2 ] || [ -z "$2" ]; then
				usage_error "--output needs a file"
			fi
			[ -z "$output" ] || usage_error "--output given twice"
			output=$2
			shift 2 ;;
		-h | --help) usage; exit 0 ;;
		--) shift; files+=("$@"); break ;;
		-?*) usage_error "unknown argument '$1'" ;;
		*) files+=("$1"); shift ;;
	esac
done
[ "${#files[@]}" -gt 0 ] || usage_error "no results.json to compare"

# The awk program reads each file's path from the environment (FILE_1...):
# as an operand, a path holding "=" would be taken for an assignment, and "-"
# for standard input.
paths=()
for i in "${!files[@]}"; do
	f=${files[i]}
	if [ ! -f "$f" ] || [ ! -r "$f" ]; then
		usage_error "cannot read '$f'"
	fi
	case $f in -) f=./- ;; esac
	paths+=("FILE_$((i + 1))=$f")
done

# The table goes to a temporary file first: a malformed input leaves no half
# table behind, and the output is replaced in one rename.
if [ -n "$output" ]; then
	dir=$(dirname -- "$output")
	[ -d "$output" ] && { say "'$output' is a directory"; exit 3; }
	tmp=$(mktemp "$dir/.compare.XXXXXX" 2>/dev/null) || { say "cannot write in '$dir'"; exit 3; }
	# mktemp's 0600 would stay after the rename: give the mode any new file gets.
	chmod "$(printf '%o' $((0666 & ~$(umask))))" "$tmp"
else
	tmp=$(mktemp "${TMPDIR:-/tmp}/ipcns-compare.XXXXXX") || { say "cannot make a temporary file"; exit 3; }
fi
trap 'rm -f -- "$tmp"' EXIT

compare_program() {
	cat <<'EOF'
BEGIN {
	NRUNS = ENVIRON["NRUNS"] + 0
	for (r = 1; r <= NRUNS; r++)
		parse(r, ENVIRON["FILE_" r])
	rows()
	write_table()
	exit 0
}

# ---- reading: a small JSON tokenizer, a line at a time ---------------------
# It keeps the top object's values and every object of its "cells" array,
# and checks the structure: a file that is not JSON fails, not half-read.

function malformed(why) {
	printf "compare: %s: line %d: %s\n", PATH, LINENO, why > "/dev/stderr"
	exit 2
}

function malformed_file(why) {
	printf "compare: %s: %s\n", PATH, why > "/dev/stderr"
	exit 2
}

function parse(r, path,    line, rc, f, i) {
	PATH = path; LINENO = 0; D = 0; DONE = 0; SAW_CELLS = 0
	split("", TOP); split("", TOPT); split("", TOOLS)
	RUN = r; NC[r] = 0
	while ((rc = (getline line < path)) > 0) {
		LINENO++
		scan(line)
	}
	if (rc < 0)
		malformed_file("cannot be read")
	close(path)
	if (!DONE)
		malformed_file(LINENO ? "the JSON ends before its last bracket" : "empty file")
	if (TOPT["schema"] != "l" || TOP["schema"] != "1")
		malformed_file("not a results.json of schema 1 (no \"schema\": 1 in its top object)")
	if (!SAW_CELLS)
		malformed_file("no \"cells\" array")
	split("kernel distro privilege date arch", f, " ")
	for (i = 1; i in f; i++)
		META[r, f[i]] = (TOPT[f[i]] == "s" && TOP[f[i]] != "") ? TOP[f[i]] : "unknown"
	split("util-linux bats cc", f, " ")
	for (i = 1; i in f; i++)
		META[r, f[i]] = (f[i] in TOOLS && TOOLS[f[i]] != "") ? TOOLS[f[i]] : "unknown"
	META[r, "file"] = path
}

function scan(line,    i, n, c, rest) {
	n = length(line)
	i = 1
	while (i <= n) {
		c = substr(line, i, 1)
		if (c == " " || c == "\t" || c == "\r") {
			i++
		} else if (c == "\"") {
			rest = substr(line, i)
			if (!match(rest, /^"([^"\\]|\\.)*"/))
				malformed("a string without its closing quote")
			on_string(unescape(substr(rest, 2, RLENGTH - 2)))
			i += RLENGTH
		} else if (index("{}[]:,", c)) {
			on_punct(c)
			i++
		} else if (match(substr(line, i), /^(true|false|null|-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)/)) {
			on_value(substr(line, i, RLENGTH), "l")
			i += RLENGTH
		} else {
			malformed("unexpected '" c "'")
		}
	}
}

# Only what a cell's words can hold needs decoding; other \u escapes stay.
function unescape(s,    out, i, c, n, code) {
	if (index(s, "\\") == 0)
		return s
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c != "\\") {
			out = out c
			continue
		}
		c = substr(s, ++i, 1)
		if (c == "n") out = out "\n"
		else if (c == "t") out = out "\t"
		else if (c == "r" || c == "b" || c == "f") out = out " "
		else if (c == "u" && substr(s, i + 1, 2) == "00" && substr(s, i + 3, 2) ~ /^[0-7][0-9a-fA-F]$/) {
			code = index("0123456789abcdef", tolower(substr(s, i + 3, 1))) * 16 - 16 + \
				index("0123456789abcdef", tolower(substr(s, i + 4, 1))) - 1
			out = out sprintf("%c", code)
			i += 4
		} else if (c == "u") out = out "\\u"
		else out = out c
	}
	return out
}

# WANT[d]: what may come next in the container at depth d.
function on_string(s) {
	if (D > 0 && TYPE[D] == "o" && (WANT[D] == "key" || WANT[D] == "key-or-end")) {
		KEY[D] = s
		WANT[D] = "colon"
		return
	}
	on_value(s, "s")
}

function value_allowed() {
	if (D == 0)
		return !DONE
	return WANT[D] == "value" || WANT[D] == "value-or-end"
}

function on_value(v, type) {
	if (!value_allowed())
		malformed("a value where none belongs")
	if (D == 1) {
		TOP[KEY[1]] = v
		TOPT[KEY[1]] = type
	} else if (D == 2 && TYPE[2] == "o" && OWNER[2] == "tools" && type == "s") {
		TOOLS[KEY[2]] = v
	} else if (IN_CELL && D == 3) {
		CELL[KEY[3]] = v
		CELLT[KEY[3]] = type
	}
	after_value()
}

function after_value() {
	if (D == 0)
		DONE = 1
	else
		WANT[D] = "comma"
}

function on_punct(c) {
	if (c == "{" || c == "[") {
		if (!value_allowed())
			malformed("'" c "' where no value belongs")
		D++
		TYPE[D] = c == "{" ? "o" : "a"
		WANT[D] = c == "{" ? "key-or-end" : "value-or-end"
		OWNER[D] = D == 1 ? "" : TYPE[D - 1] == "o" ? KEY[D - 1] : "[]"
		if (D == 2 && c == "[" && OWNER[2] == "cells")
			SAW_CELLS = 1
		if (D == 3 && c == "{" && OWNER[2] == "cells" && TYPE[2] == "a") {
			IN_CELL = 1
			split("", CELL); split("", CELLT)
		}
	} else if (c == "}" || c == "]") {
		if (D == 0 || TYPE[D] != (c == "}" ? "o" : "a") || (WANT[D] != "comma" && WANT[D] !~ /-or-end$/))
			malformed("'" c "' out of place")
		if (IN_CELL && D == 3) {
			store_cell()
			IN_CELL = 0
		}
		D--
		after_value()
	} else if (c == ":") {
		if (D == 0 || WANT[D] != "colon")
			malformed("':' out of place")
		WANT[D] = "value"
	} else {
		if (D == 0 || WANT[D] != "comma")
			malformed("',' out of place")
		WANT[D] = TYPE[D] == "o" ? "key" : "value"
	}
}

function store_cell(    i, f, k) {
	split("mechanism scenario entry namespaces verdict", f, " ")
	for (i = 1; i in f; i++)
		if (CELLT[f[i]] != "s" || CELL[f[i]] == "")
			malformed("a cell without \"" f[i] "\"")
	if (CELL["verdict"] !~ /^(pass|fail|skip)$/)
		malformed("a cell whose verdict is \"" CELL["verdict"] "\", not pass, fail or skip")
	if (!(CELLT["observed"] == "s" || (CELLT["observed"] == "l" && CELL["observed"] == "null")))
		malformed("a cell whose \"observed\" is neither a string nor null")
	k = ++NC[RUN]
	C_MECH[RUN, k] = CELL["mechanism"]
	C_SCEN[RUN, k] = CELL["scenario"]
	C_ENTRY[RUN, k] = CELL["entry"]
	C_NS[RUN, k] = CELL["namespaces"]
	C_OBS[RUN, k] = CELLT["observed"] == "s" ? CELL["observed"] : ""
	C_VERD[RUN, k] = CELL["verdict"]
	COUNT[RUN, CELL["verdict"]]++
	LITERAL[RUN, CELL["mechanism"], CELL["scenario"], CELL["entry"], CELL["namespaces"]] = 1
}

# ---- merging ----------------------------------------------------------------

# A rootless run measures in IPC namespaces owned by a new user namespace:
# its ipc+user cell is the root run's ipc cell. +user is dropped from
# ipc+user... unless the same run also has that cell without it (a root run's
# own user-namespace experiments, such as rootless-write, keep both rows
# apart then; alone, they align with the rootless run's).
function aligned_ns(r, k,    ns, alt) {
	ns = C_NS[r, k]
	if (ns !~ /^ipc\+user/)
		return ns
	alt = "ipc" substr(ns, 9)
	if ((r, C_MECH[r, k], C_SCEN[r, k], C_ENTRY[r, k], alt) in LITERAL)
		return ns
	return alt
}

function shown(r, k,    obs) {
	if (C_VERD[r, k] == "skip")
		return "skip"
	obs = C_OBS[r, k] == "" ? "no observation" : md(C_OBS[r, k])
	return C_VERD[r, k] == "fail" ? obs " ✗" : obs
}

function rows(    r, k, row, id, ns, v) {
	NROWS = 0
	for (r = 1; r <= NRUNS; r++) {
		for (k = 1; k <= NC[r]; k++) {
			ns = aligned_ns(r, k)
			row = C_MECH[r, k] SUBSEP C_SCEN[r, k] SUBSEP C_ENTRY[r, k] SUBSEP ns
			if (!(row in ROW_ID)) {
				id = ROW_ID[row] = ++NROWS
				R_MECH[id] = C_MECH[r, k]
				R_SCEN[id] = C_SCEN[r, k]
				R_ENTRY[id] = C_ENTRY[r, k]
				R_NS[id] = ""
			}
			id = ROW_ID[row]
			if (index(" " R_NS[id] " ", " " C_NS[r, k] " ") == 0)
				R_NS[id] = R_NS[id] (R_NS[id] == "" ? "" : " ") C_NS[r, k]
			# Two cells of one run in one row: both are shown. (Tested
			# before the assignment: mawk makes the element first.)
			v = shown(r, k)
			if ((id, r) in VAL)
				v = VAL[id, r] " / " v
			VAL[id, r] = v
		}
	}
	NDIFF = 0
	for (id = 1; id <= NROWS; id++) {
		SAME[id] = 1
		for (r = 2; r <= NRUNS; r++)
			if (value(id, r) != value(id, 1))
				SAME[id] = 0
		if (!SAME[id])
			NDIFF++
	}
}

function value(id, r) {
	return ((id, r) in VAL) ? VAL[id, r] : "—"
}

# ---- writing ------------------------------------------------------------------

function md(s,    out, i, n, c) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "<")
			out = out "&lt;"
		else if (c == "\n" || c == "\t")
			out = out " "
		else if (index("\\`*_[]|&~>", c))
			out = out "\\" c
		else
			out = out c
	}
	return out
}

function label(id,    ns) {
	ns = R_NS[id]
	gsub(/ /, ", ", ns)
	return md(R_MECH[id]) " | " md(R_SCEN[id]) " | " md(R_ENTRY[id]) " | " md(ns)
}

function write_table(    r, id, head, rule, n) {
	print "# IPC namespace isolation: " NRUNS " run" (NRUNS == 1 ? "" : "s") " compared"
	print ""
	print "| run | kernel | arch | distro | privilege | date | util-linux | bats | cc | cells | pass | fail | skip | file |"
	print "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for (r = 1; r <= NRUNS; r++)
		printf "| #%d | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %d | %s |\n", r,
			md(META[r, "kernel"]), md(META[r, "arch"]), md(META[r, "distro"]),
			md(META[r, "privilege"]), md(META[r, "date"]), md(META[r, "util-linux"]),
			md(META[r, "bats"]), md(META[r, "cc"]), NC[r],
			COUNT[r, "pass"], COUNT[r, "fail"], COUNT[r, "skip"], md(META[r, "file"])
	print ""
	print "A row is a cell, a column a run. Each shows what that run observed; ✗: the"
	print "run's verdict was fail (the observation contradicts that run's"
	print "fixtures/expected.tsv); skip: the run could not measure it; —: the run has no"
	print "such cell. A rootless run measures in IPC namespaces owned by a new user"
	print "namespace: its ipc+user, ipc+user+mnt and ipc+user+net cells share the rows"
	print "of ipc, ipc+mnt and ipc+net (the namespaces column lists what each run used)."
	print ""
	head = "| mechanism | scenario | entry | namespaces |"
	rule = "|---|---|---|---|"
	for (r = 1; r <= NRUNS; r++) {
		head = head " #" r " " md(META[r, "kernel"]) "<br>" md(META[r, "distro"]) "<br>" \
			md(META[r, "privilege"]) "<br>" md(META[r, "date"]) " |"
		rule = rule "---|"
	}
	print "## Rows that differ between runs: " NDIFF
	print ""
	if (NDIFF == 0) {
		print "None: every row is the same in all runs."
	} else {
		print head
		print rule
		for (id = 1; id <= NROWS; id++) {
			if (SAME[id])
				continue
			printf "| %s |", label(id)
			for (r = 1; r <= NRUNS; r++)
				printf " %s |", value(id, r)
			print ""
		}
	}
	print ""
	n = NROWS - NDIFF
	print "## Rows identical in all runs: " n
	print ""
	if (n == 0) {
		print "None."
		return
	}
	FAILED = 0
	for (id = 1; id <= NROWS; id++)
		if (SAME[id] && value(id, 1) ~ /✗$/)
			FAILED++
	print n " row" (n == 1 ? " is" : "s are") " the same in every run" \
		(FAILED ? "; " FAILED " of them ✗ in every run." : ".")
	print ""
	print "<details><summary>The " n " identical row" (n == 1 ? "" : "s") "</summary>"
	print ""
	print "| mechanism | scenario | entry | namespaces | in every run |"
	print "|---|---|---|---|---|"
	for (id = 1; id <= NROWS; id++)
		if (SAME[id])
			printf "| %s | %s |\n", label(id), value(id, 1)
	print ""
	print "</details>"
}
EOF
}

# C: byte-wise, so that mawk and gawk alike take each UTF-8 byte as is.
rc=0
env "${paths[@]}" NRUNS="${#paths[@]}" LC_ALL=C "${AWK:-awk}" "$(compare_program)" >"$tmp" || rc=$?
case $rc in
	0) ;;
	2) exit 2 ;; # the awk program named the file and line
	*) say "awk failed (exit $rc)"; exit 3 ;;
esac
if [ -n "$output" ]; then
	mv -f -- "$tmp" "$output" 2>/dev/null || { say "cannot write '$output'"; exit 3; }
else
	cat -- "$tmp" || { say "cannot write to standard output"; exit 3; }
fi
exit 0
