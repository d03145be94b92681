#!/usr/bin/env bash
# The report generator: turns the cells a suite run recorded (IPCNS_RECORD of
# suites/scenario.sh) and the facts of that run into OUTDIR/results.json, for
# tools, and OUTDIR/RESULTS.md, the record people read.
#
# The answer and the tables are made of observed values only. An expectation
# is shown only beside the observation that contradicts it, so a report can
# never claim what the kernel was not seen doing.
#
# bash for the files, awk (POSIX: mawk and gawk) for the text. Both outputs are
# written beside their final names and renamed into place: a reader sees the
# old file or the new one, never half of one.
set -u

usage() {
	cat <<'EOF'
usage: report.sh CELLS_TSV META_TSV OUTDIR
Writes OUTDIR/results.json and OUTDIR/RESULTS.md from the cells of one run.
  CELLS_TSV  a cell a line, 9 tab-separated fields: mechanism scenario entry
             namespaces expected observed verdict detail why (observed may be
             empty); as suites/scenario.sh records them. May be empty.
  META_TSV   key<TAB>value lines: kernel arch distro privilege util-linux
             bats cc date duration run_id command, and any number of "note"
             lines. Unknown keys are ignored, missing ones shown as unknown.
  OUTDIR     made if missing
Environment: AWK (default awk).
exit: 0 written, 2 usage or a malformed input line, 3 could not write
EOF
}

# noclobber: new_temp relies on it; nothing here overwrites with ">".
set -C
TEMPS=()
trap 'rm -f -- "${TEMPS[@]}"' EXIT

usage_error() {
	printf 'report.sh: %s\n' "$1" >&2
	usage >&2
	exit 2
}

cannot_write() {
	printf 'report.sh: could not write the report: %s\n' "$1" >&2
	exit 3
}

# awk_path VAR PATH: PATH as awk's getline must be given it: a file named "-"
# would be read as standard input, "./-" is the file.
awk_path() {
	case $2 in
		-) printf -v "$1" '%s' ./- ;;
		*) printf -v "$1" '%s' "$2" ;;
	esac
}

# new_temp VAR DIR NAME: a new empty file in DIR for NAME, so the final mv is a
# rename within one file system. Made by a redirection under noclobber (set -C:
# O_EXCL), so it has the mode any file the user writes would have, and a name
# that exists already is never taken, nor removed on exit.
new_temp() {
	printf -v "$1" '%s/.%s.%s.%s' "$2" "$3" "$$" "$RANDOM"
	{ : >"${!1}"; } 2>/dev/null || cannot_write "cannot create a file in '$2'"
	TEMPS+=("${!1}")
}

# The static end of RESULTS.md: what the words and the columns mean.
how_to_read() {
	cat <<'EOF'

## How to read this

Each cell is one measurement: a mechanism, a scenario, an entry point and the
namespaces made. A probe makes an object holding a known value; a positive
control (the same probe, on the same side) must read that value back; then the
same probe looks for the object from the other side.

- **isolated**: the other side could not reach the object, while the positive
  control reached it.
- **shared**: the other side read the object's own value.
- **crosses** (inherited channels): the value the child sent from inside the
  new namespace reached the parent outside it. **blocked**: it did not.
- **no observation**: the measurement produced no valid result (its setup
  failed, or the probe answered something unexpected); the detail says what.
- **skipped**: this system could not make the measurement at all; the reason
  is under Skips.
- **✗**: the observation contradicts fixtures/expected.tsv (see Deviations).

Scenarios:

- **host → ns** (`host-to-ns`): the object is made on the host and looked up
  from a new namespace, made through each entry point.
- **ns → host** (`ns-to-host`): the object is made in a new namespace and
  looked up from the host.
- **sibling**: the object is made in one new namespace and looked up from
  another one.
- **same name** (`same-name`): the host's name is made again inside a new
  namespace. isolated means two objects: afterwards each side still reads its
  own value. shared means the name was already taken there.
- **join**: a process joins the namespace that holds the object and looks it
  up there.
- **inherited**: a channel made before the new namespace (pipe, socketpair,
  eventfd, memfd, an unnamed POSIX semaphore in shared memory, a signal to the
  parent) is used by a child inside it.

Entry points:

- **clone**, **clone3**, **unshare**: the new IPC namespace is made by the
  system call clone(2) with CLONE_NEWIPC, clone3(2), or unshare(2).
- **util-linux**: the commands a shell would use: unshare(1) --ipc for
  host → ns, nsenter(1) --ipc for join.
- **setns**: setns(2) on /proc/PID/ns/ipc of a process holding the namespace.
- **pidfd**: setns(2) on a pidfd of that process (Linux 5.8 or later).

Namespaces: `ipc` is a new IPC namespace alone; `ipc+user` is the same, owned
by a new user namespace, the way in for a run without root. `+mnt` adds a new
mount namespace with a fresh tmpfs on /dev/shm and a fresh mqueue on
/dev/mqueue; `+net` adds a new network namespace.

Expected values live in fixtures/expected.tsv, each with the source of the
claim. The suite compares every observation with them and never copies one
into a result; this report shows them only next to a deviation.
EOF
}

# The awk program, in a quoted here-document so its text needs no escaping.
# It reads the paths in CELLS, META, JSON_OUT and MD_OUT from the environment
# (awk -v would mangle backslashes in them) and exits 4 on a malformed line.
# (cat, not read -d '': read takes a pipe a byte at a time, and is slower.)
report_program() {
	cat <<'EOF'
BEGIN {
	init_tables()
	load_meta(ENVIRON["META"])
	load_cells(ENVIRON["CELLS"])
	index_cells()
	OUT_JSON = ENVIRON["JSON_OUT"]
	OUT_MD = ENVIRON["MD_OUT"]
	write_json()
	write_markdown()
	exit 0
}

function init_tables(    i, c) {
	# Control characters: \uXXXX in JSON, a visible \xNN in Markdown.
	for (i = 1; i < 32; i++) {
		c = sprintf("%c", i)
		JSON_CTRL[c] = sprintf("\\u%04x", i)
		MD_CTRL[c] = sprintf("\\\\x%02x", i)
	}
	MD_CTRL[sprintf("%c", 127)] = "\\\\x7f"
	# ASCII punctuation that could start Markdown formatting mid-line.
	MD_PUNCT = "\\`*<>[]|&~"

	VERDICT_OK["pass"]; VERDICT_OK["fail"]; VERDICT_OK["skip"]
	# Observed and expected values are single words: isolated, shared,
	# crosses, blocked for the matrix; numbers and words such as applied or
	# old-ns for the groups below. Empty: no valid observation.
	VALUE_RE = "^[A-Za-z0-9_.+-]*$"
	FIELD[1] = "mechanism"; FIELD[2] = "scenario"; FIELD[3] = "entry"
	FIELD[4] = "namespaces"

	NAMED = "sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo unix-path unix-abstract"
	INHERITED = "pipe socketpair eventfd memfd posix-sem-unnamed signal"
	MECH_NAME["sysv-msg"] = "SysV message queue"
	MECH_NAME["sysv-sem"] = "SysV semaphore set"
	MECH_NAME["sysv-shm"] = "SysV shared memory"
	MECH_NAME["posix-mq"] = "POSIX message queue"
	MECH_NAME["posix-sem"] = "POSIX named semaphore"
	MECH_NAME["posix-shm"] = "POSIX shared memory"
	MECH_NAME["fifo"] = "FIFO"
	MECH_NAME["unix-path"] = "Unix socket, pathname"
	MECH_NAME["unix-abstract"] = "Unix socket, abstract name"
	MECH_NAME["pipe"] = "Pipe"
	MECH_NAME["socketpair"] = "Socket pair"
	MECH_NAME["eventfd"] = "eventfd"
	MECH_NAME["memfd"] = "memfd"
	MECH_NAME["posix-sem-unnamed"] = "POSIX unnamed semaphore, shared memory"
	MECH_NAME["signal"] = "Signal to the parent"

	MATRIX_SCENARIOS = "host-to-ns ns-to-host sibling same-name join"
	SCEN_NAME["host-to-ns"] = "host → ns"
	SCEN_NAME["ns-to-host"] = "ns → host"
	SCEN_NAME["sibling"] = "sibling"
	SCEN_NAME["same-name"] = "same name"
	SCEN_NAME["join"] = "join"
	SCEN_NAME["inherited"] = "inherited"
	INHERIT_ENTRIES = "clone clone3 unshare"

	# What a namespace carries besides objects: a section each, its
	# scenarios as columns. Cells of a scenario in none of these still show,
	# under "Other measurements".
	SECTIONS = "sysctl semundo handles lifetime mqueuefs ids tools identity limits"
	SEC_TITLE["sysctl"] = "Per-namespace sysctls"
	SEC_SCENS["sysctl"] = "new-ns-default child-write-hidden parent-write-hidden fd-bound rootless-write"
	SEC_TEXT["sysctl"] = "Each IPC sysctl in a namespace the suite made (the host's are never written). new-ns-default: the value a namespace made from one holding another value starts with (expected: the compile-time default, not the parent's). child-write-hidden / parent-write-hidden: a write on one side is isolated from the other. fd-bound: an fd opened before unshare reads the old namespace (old-ns) or the new (new-ns). rootless-write: whether root of a user namespace owning the IPC namespace may write it."
	SEC_TITLE["semundo"] = "SEM_UNDO at the boundary"
	SEC_SCENS["semundo"] = "at-unshare at-setns control-unshare-uts clone-newipc-sysvsem unshare-newipc-sysvsem"
	SEC_TEXT["semundo"] = "A process holding SEM_UNDO adjustments that changes IPC namespace: are they applied to the old namespace's semaphore at that moment (applied) or kept? unshare(CLONE_NEWUTS) is the control. And whether clone/unshare accept CLONE_NEWIPC together with CLONE_SYSVSEM."
	SEC_TITLE["handles"] = "Handles across unshare"
	SEC_SCENS["handles"] = "mapping-across-unshare old-id-after-unshare fd-across-unshare unlink-after-unshare rmid-forced-at-unshare rmid-forced-orphans"
	SEC_TEXT["handles"] = "What a process made or opened before unshare(CLONE_NEWIPC) still reaches afterwards: a shmat mapping and an mqueue fd (crosses), the old shm id and the queue's name (isolated), and what kernel.shm_rmid_forced=1, set only inside a namespace the suite made, destroys."
	SEC_TITLE["lifetime"] = "Lifetime"
	SEC_SCENS["lifetime"] = "held-by-nsfs-fd held-by-bind-mount destroyed-with-last-holder"
	SEC_TEXT["lifetime"] = "Objects outlive the namespace's last process while an nsfs fd or a bind mount of /proc/PID/ns/ipc holds it, and are destroyed with the last holder (shown through the memory they free)."
	SEC_TITLE["mqueuefs"] = "The mqueue filesystem"
	SEC_SCENS["mqueuefs"] = "mount-before-unshare fresh-mount create-through-fs mount-in-userns mount-in-userns-host-ipc"
	SEC_TEXT["mqueuefs"] = "A mount of mqueue shows the IPC namespace of the task that mounted it, at mount time (old-ns after unshare); a fresh mount shows the new one; files made through it are queues; and whether mqueue can be mounted in a user namespace that owns the IPC namespace (mount-in-userns) or one that does not (mount-in-userns-host-ipc). All mounts are made in a private mount namespace."
	SEC_TITLE["ids"] = "IDs are not a side door"
	SEC_SCENS["ids"] = "id-restart foreign-id proc-sysvipc"
	SEC_TEXT["ids"] = "id-restart: the id of the first object made in a fresh namespace. foreign-id: the host's SysV ids, used by number from inside. proc-sysvipc: whether /proc/sysvipc inside lists only the namespace's own objects."
	SEC_TITLE["tools"] = "The tools' view"
	SEC_SCENS["tools"] = "tool-ipcs-host tool-unshare-ipcs tool-lsipc-ns tool-nsenter tool-lsns tool-ipcrm"
	SEC_TEXT["tools"] = "The session of the project's second seed note, as cells: objects made with ipcmk on the host are seen by ipcs there, by neither unshare -i ipcs nor lsipc inside a new namespace; nsenter --ipc sees a held namespace's objects; lsns -t ipc lists it; ipcrm removes the host's."
	SEC_TITLE["limits"] = "Limits"
	SEC_SCENS["limits"] = "max-ipc-namespaces rlimit-msgqueue-shared"
	SEC_TEXT["limits"] = "max-ipc-namespaces: /proc/sys/user/max_ipc_namespaces, set low in a user namespace the suite made, refuses the next IPC namespace with ENOSPC. rlimit-msgqueue-shared: RLIMIT_MSGQUEUE is spent per user, not per IPC namespace (shared: a new namespace finds the budget already spent). Both in a new user namespace, whose counts start from zero."
	SEC_TITLE["identity"] = "Namespace identity"
	SEC_SCENS["identity"] = "inode-after-unshare inode-after-setns ns-get-nstype ns-get-userns ns-get-id"
	SEC_TEXT["identity"] = "The /proc/PID/ns/ipc inode after unshare and after setns, and what the nsfs ioctls NS_GET_NSTYPE, NS_GET_USERNS and NS_GET_ID (Linux 6.18) say of an IPC namespace fd."
}

# ---- input ---------------------------------------------------------------

function malformed(path, lineno, why) {
	printf "report.sh: %s: %s%s\n", path, (lineno ? "line " lineno ": " : ""), why > "/dev/stderr"
	exit 4
}

function load_meta(path,    line, tab, key, rc) {
	while ((rc = (getline line < path)) > 0) {
		tab = index(line, "\t")
		if (!tab)
			continue
		key = substr(line, 1, tab - 1)
		if (key == "note")
			NOTES[++NNOTES] = substr(line, tab + 1)
		else
			META[key] = substr(line, tab + 1)
	}
	if (rc < 0)
		malformed(path, 0, "cannot read it")
	close(path)
}

function meta(key) {
	return (key in META && META[key] != "") ? META[key] : "unknown"
}

function load_cells(path,    line, f, n, rc, lineno, i) {
	while ((rc = (getline line < path)) > 0) {
		lineno++
		n = split(line, f, "\t")
		if (n != 9)
			malformed(path, lineno, "has " n " tab-separated fields, wants 9")
		for (i = 1; i <= 4; i++)
			if (f[i] == "")
				malformed(path, lineno, "the " FIELD[i] " field is empty")
		if (!(f[7] in VERDICT_OK))
			malformed(path, lineno, "unknown verdict \"" f[7] "\" (pass, fail or skip)")
		if (f[6] !~ VALUE_RE)
			malformed(path, lineno, "observed value \"" f[6] "\" is not a word")
		if (f[5] !~ VALUE_RE)
			malformed(path, lineno, "expected value \"" f[5] "\" is not a word")
		NCELLS++
		MECH[NCELLS] = f[1]; SCEN[NCELLS] = f[2]; ENTRY[NCELLS] = f[3]
		NSS[NCELLS] = f[4]; EXP[NCELLS] = f[5]; OBS[NCELLS] = f[6]
		VERD[NCELLS] = f[7]; DET[NCELLS] = f[8]; WHY[NCELLS] = f[9]
		COUNT[f[7]]++
	}
	if (rc < 0)
		malformed(path, 0, "cannot read it")
	close(path)
}

# The base namespaces are the IPC namespace alone (with the user namespace a
# rootless run needs); anything more is a container-like variant.
function ns_class(ns) {
	return (ns == "ipc" || ns == "ipc+user") ? "base" : ns
}

# GROUP[mechanism, scenario, class]: the indexes of its cells, in input order.
function index_cells(    i, cls, key, in_matrix) {
	for (i = 1; i <= NCELLS; i++) {
		cls = ns_class(NSS[i])
		in_matrix = index(" " MATRIX_SCENARIOS " inherited ", " " SCEN[i] " ")
		# The base namespaces are the matrix's: other groups make user
		# namespaces of their own even in a root run.
		if (cls == "base" && in_matrix)
			BASE_NS = NSS[i]
		else if (cls != "base" && !(cls in IS_VARIANT) && in_matrix) {
			IS_VARIANT[cls]
			VARIANT[++NVARIANTS] = cls
		}
		key = MECH[i] SUBSEP SCEN[i] SUBSEP cls
		GROUP[key] = (key in GROUP) ? GROUP[key] " " i : i
	}
}

# ---- text ----------------------------------------------------------------

# js TEXT: TEXT as a JSON string. Bytes of 128 and up are kept as they are.
function js(s,    out, i, n, c) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c == "\\" || c == "\"")
			out = out "\\" c
		else if (c in JSON_CTRL)
			out = out JSON_CTRL[c]
		else
			out = out c
	}
	return "\"" out "\""
}

function is_alnum(c) {
	return c ~ /^[A-Za-z0-9]$/
}

# md TEXT: TEXT shown literally in Markdown, table cells included. An
# underscore inside a word (O_CREAT) cannot start emphasis and is left alone.
function md(s,    out, i, n, c) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c in MD_CTRL)
			out = out MD_CTRL[c]
		else if (index(MD_PUNCT, c))
			out = out "\\" c
		else if (c == "_" && !(is_alnum(substr(s, i - 1, 1)) && is_alnum(substr(s, i + 1, 1))))
			out = out "\\_"
		else
			out = out c
	}
	return out
}

function joined(list, item, sep) {
	return list == "" ? item : list sep item
}

function mech_label(m) {
	return (m in MECH_NAME) ? MECH_NAME[m] " (`" m "`)" : md(m)
}

function scen_label(s) {
	return (s in SCEN_NAME) ? SCEN_NAME[s] : md(s)
}

function observed_word(v) {
	return v == "" ? "no observation" : v
}

function expected_word(v) {
	return v == "" ? "nothing (no row in fixtures/expected.tsv)" : v
}

function plural(n, one, many) {
	return n " " (n == 1 ? one : many)
}

# ---- results.json ---------------------------------------------------------

function json_number(s) {
	return s ~ /^(0|[1-9][0-9]*)(\.[0-9]+)?$/ ? s : "null"
}

function cell_json(i) {
	return "{\"mechanism\": " js(MECH[i]) ", \"scenario\": " js(SCEN[i]) \
		", \"entry\": " js(ENTRY[i]) ", \"namespaces\": " js(NSS[i]) \
		", \"expected\": " js(EXP[i]) \
		", \"observed\": " (OBS[i] == "" ? "null" : js(OBS[i])) \
		", \"verdict\": " js(VERD[i]) ", \"detail\": " js(DET[i]) "}"
}

function write_json(    i) {
	printf "{\"schema\": 1, \"kernel\": %s, \"arch\": %s, \"distro\": %s,\n", \
		js(meta("kernel")), js(meta("arch")), js(meta("distro")) > OUT_JSON
	printf " \"privilege\": %s, \"tools\": {\"util-linux\": %s, \"bats\": %s, \"cc\": %s},\n", \
		js(meta("privilege")), js(meta("util-linux")), js(meta("bats")), js(meta("cc")) > OUT_JSON
	printf " \"date\": %s, \"run_id\": %s, \"duration_s\": %s,\n", \
		js(meta("date")), js(meta("run_id")), json_number(META["duration"]) > OUT_JSON
	printf " \"summary\": {\"pass\": %d, \"fail\": %d, \"skip\": %d},\n", \
		COUNT["pass"], COUNT["fail"], COUNT["skip"] > OUT_JSON
	if (NCELLS == 0) {
		print " \"cells\": []}" > OUT_JSON
		return
	}
	print " \"cells\": [" > OUT_JSON
	for (i = 1; i <= NCELLS; i++)
		print "  " cell_json(i) (i < NCELLS ? "," : "") > OUT_JSON
	print "]}" > OUT_JSON
}

# ---- RESULTS.md -----------------------------------------------------------

function out(s) {
	print s > OUT_MD
}

function write_markdown() {
	write_header()
	write_answer()
	write_matrix()
	write_inherited()
	write_variants()
	write_sections()
	write_deviations()
	write_skips()
	write_notes()
}

function write_header(    duration) {
	duration = json_number(META["duration"]) == "null" ? meta("duration") : META["duration"] " s"
	out("# IPC namespace isolation: results")
	out("")
	out("Kernel " md(meta("kernel")) " on " md(meta("arch")) ", " md(meta("distro")) \
		", run as " md(meta("privilege")) "; util-linux " md(meta("util-linux")) \
		", bats " md(meta("bats")) ", cc " md(meta("cc")) "; run on " md(meta("date")) \
		", took " md(duration) ".")
	out("")
	out("Run id " md(meta("run_id")) "; command: " md(meta("command")))
	out("")
	if (NCELLS == 0) {
		out("0 cells: this run recorded no measurement.")
		return
	}
	out(plural(NCELLS, "cell", "cells") ": " (COUNT["pass"] + 0) " pass, " \
		(COUNT["fail"] + 0) " fail, " (COUNT["skip"] + 0) " skipped." \
		(COUNT["fail"] ? " The failures are listed under Deviations." : "") \
		" The words are explained under How to read this, at the end.")
}

# agreed KEY: what the valid observations of a group agree on; "mixed" if
# they differ, "none" if it has cells but no valid observation, "" if no cells.
function agreed(key,    n, idx, j, o, v) {
	if (!(key in GROUP))
		return ""
	n = split(GROUP[key], idx, " ")
	v = "none"
	for (j = 1; j <= n; j++) {
		o = OBS[idx[j]]
		if (o == "")
			continue
		if (v == "none")
			v = o
		else if (v != o)
			return "mixed"
	}
	return v
}

# sort_by_agreement LIST SCENARIO: ANSWER[value] lists the mechanisms of LIST
# whose base cells in SCENARIO agree on that value; returns how many of them
# were validly observed at all.
function sort_by_agreement(list, scen,    n, m, i, v, measured) {
	split("", ANSWER)
	n = split(list, m, " ")
	measured = 0
	for (i = 1; i <= n; i++) {
		v = agreed(m[i] SUBSEP scen SUBSEP "base")
		if (v == "")
			continue
		ANSWER[v] = joined(ANSWER[v], m[i], ", ")
		if (v != "none")
			measured++
	}
	return measured
}

function answer_part(value, text) {
	return (value in ANSWER) ? " " text ": " ANSWER[value] "." : ""
}

# The one-sentence answer, from observed values only. A mechanism with no
# valid observation is left out: the tables, Deviations and Skips show it.
function write_answer(    s, alone) {
	alone = "a new IPC namespace alone"
	if (BASE_NS == "ipc+user")
		alone = alone " (owned by a new user namespace, as a run without root needs)"
	s = ""
	if (sort_by_agreement(NAMED, "host-to-ns")) {
		if ("isolated" in ANSWER)
			s = " On this kernel " alone " isolated: " ANSWER["isolated"] "."
		else
			s = " On this kernel " alone " isolated none of the named mechanisms measured."
		s = s answer_part("shared", "It did not isolate") \
			answer_part("mixed", "Its entry points disagreed (see the matrix) for") \
			answer_part("crosses", "Observed crosses, a word for inherited channels, for") \
			answer_part("blocked", "Observed blocked, a word for inherited channels, for")
	}
	sort_by_agreement(INHERITED, "inherited")
	s = s answer_part("crosses", "Inherited channels crossed") \
		answer_part("blocked", "Inherited channels were blocked") \
		answer_part("mixed", "Inherited channels that crossed through some entry points only")
	if (s == "")
		s = " This run observed no named mechanism from the host in a new namespace and no inherited channel, so it answers nothing."
	out("")
	out("**Answer.**" s)
}

# cell_summary KEY ONLY_ENTRY: one table cell for the cells of group KEY (of
# entry ONLY_ENTRY alone, when given): the passing values with their entries,
# each failure with what was expected, the skipped entries.
function cell_summary(key, only,    n, idx, j, c, seen, npass, pass_value, pass_entries, nfail, fail_key, fail_obs, fail_exp, fail_entries, fk, skipped, s) {
	if (!(key in GROUP))
		return "—"
	n = split(GROUP[key], idx, " ")
	seen = npass = nfail = 0
	skipped = ""
	for (j = 1; j <= n; j++) {
		c = idx[j]
		if (only != "" && ENTRY[c] != only)
			continue
		seen++
		if (VERD[c] == "pass") {
			if (!(OBS[c] in pass_entries))
				pass_value[++npass] = OBS[c]
			pass_entries[OBS[c]] = joined(pass_entries[OBS[c]], md(ENTRY[c]), ", ")
		} else if (VERD[c] == "fail") {
			fk = OBS[c] SUBSEP EXP[c]
			if (!(fk in fail_entries)) {
				fail_key[++nfail] = fk
				fail_obs[nfail] = OBS[c]
				fail_exp[nfail] = EXP[c]
			}
			fail_entries[fk] = joined(fail_entries[fk], md(ENTRY[c]), ", ")
		} else
			skipped = joined(skipped, md(ENTRY[c]), ", ")
	}
	if (!seen)
		return "—"
	s = ""
	for (j = 1; j <= npass; j++)
		s = joined(s, observed_word(pass_value[j]) \
			(only == "" ? " (" pass_entries[pass_value[j]] ")" : ""), "; ")
	for (j = 1; j <= nfail; j++)
		s = joined(s, "**" observed_word(fail_obs[j]) "** ✗" \
			(only == "" ? " via " fail_entries[fail_key[j]] : "") \
			" (expected " expected_word(fail_exp[j]) ")", "; ")
	if (skipped != "")
		s = joined(s, "skipped" (only == "" ? " (" skipped ")" : ""), "; ")
	return s
}

# has_cells LIST SCENARIOS CLASS: whether any mechanism of LIST has cells in
# any of SCENARIOS for namespaces CLASS.
function has_cells(list, scenarios, cls,    m, s, nm, ns, i, j) {
	nm = split(list, m, " ")
	ns = split(scenarios, s, " ")
	for (i = 1; i <= nm; i++)
		for (j = 1; j <= ns; j++)
			if ((m[i] SUBSEP s[j] SUBSEP cls) in GROUP)
				return 1
	return 0
}

function base_label() {
	if (BASE_NS != "")
		return "`" BASE_NS "`"
	return META["privilege"] == "rootless" ? "`ipc+user`" : "`ipc`"
}

function write_matrix(    m, nm, s, ns, i, j, row, rule) {
	out("")
	out("## The matrix at a glance")
	out("")
	if (!has_cells(NAMED, MATRIX_SCENARIOS, "base")) {
		out("No named mechanism was measured in a new IPC namespace alone (" base_label() ").")
		return
	}
	out("What the other side observed, with a new IPC namespace alone (" base_label() \
		"); in parentheses the entry points that observed it.")
	out("")
	ns = split(MATRIX_SCENARIOS, s, " ")
	row = "| Mechanism"
	rule = "|---"
	for (j = 1; j <= ns; j++) {
		row = row " | " SCEN_NAME[s[j]]
		rule = rule "|---"
	}
	out(row " |")
	out(rule "|")
	nm = split(NAMED, m, " ")
	for (i = 1; i <= nm; i++) {
		row = "| " mech_label(m[i])
		for (j = 1; j <= ns; j++)
			row = row " | " cell_summary(m[i] SUBSEP s[j] SUBSEP "base", "")
		out(row " |")
	}
}

function write_inherited(    m, nm, e, ne, i, j, row, rule) {
	out("")
	out("## Inherited channels")
	out("")
	if (!has_cells(INHERITED, "inherited", "base")) {
		out("No inherited channel was measured in this run.")
		return
	}
	out("A channel made before the new IPC namespace (" base_label() \
		"), used by a child inside it: did its value reach the parent outside? " \
		"Columns: how the child's namespace was made.")
	out("")
	ne = split(INHERIT_ENTRIES, e, " ")
	row = "| Channel"
	rule = "|---"
	for (j = 1; j <= ne; j++) {
		row = row " | " e[j]
		rule = rule "|---"
	}
	out(row " |")
	out(rule "|")
	nm = split(INHERITED, m, " ")
	for (i = 1; i <= nm; i++) {
		row = "| " mech_label(m[i])
		for (j = 1; j <= ne; j++)
			row = row " | " cell_summary(m[i] SUBSEP "inherited" SUBSEP "base", e[j])
		out(row " |")
	}
}

function write_variants(    m, nm, i, v, row, rule) {
	out("")
	out("## Container-like variants")
	out("")
	if (NVARIANTS == 0) {
		out("No variant (a new IPC namespace together with a mount or network namespace) was measured in this run.")
		return
	}
	out("The new IPC namespace made together with another namespace, as containers do: " \
		"`+mnt` also gives a fresh /dev/shm and /dev/mqueue, `+net` its own network stack. " \
		"Compare with the host → ns column of the matrix.")
	out("")
	row = "| Mechanism"
	rule = "|---"
	for (v = 1; v <= NVARIANTS; v++) {
		row = row " | " md(VARIANT[v]) ": host → ns | " md(VARIANT[v]) ": ns → host"
		rule = rule "|---|---"
	}
	out(row " |")
	out(rule "|")
	nm = split(NAMED, m, " ")
	for (i = 1; i <= nm; i++) {
		row = "| " mech_label(m[i])
		for (v = 1; v <= NVARIANTS; v++)
			row = row " | " cell_summary(m[i] SUBSEP "host-to-ns" SUBSEP VARIANT[v], "") \
				" | " cell_summary(m[i] SUBSEP "ns-to-host" SUBSEP VARIANT[v], "")
		out(row " |")
	}
}

# write_sections: one table a section, mechanisms as rows (in the order they
# were measured), scenarios as columns; then anything no section claims.
function write_sections(    k, nk, sec, i, scens, claimed) {
	nk = split(SECTIONS, sec, " ")
	for (k = 1; k <= nk; k++) {
		write_section(SEC_TITLE[sec[k]], SEC_TEXT[sec[k]], SEC_SCENS[sec[k]])
		scens = scens " " SEC_SCENS[sec[k]]
	}
	claimed = " " MATRIX_SCENARIOS " inherited " scens " "
	scens = ""
	for (i = 1; i <= NCELLS; i++)
		if (!index(claimed, " " SCEN[i] " ") && !index(" " scens " ", " " SCEN[i] " "))
			scens = joined(scens, SCEN[i], " ")
	if (scens != "")
		write_section("Other measurements", "Cells of scenarios this report has no section for.", scens)
}

function write_section(title, text, scenarios,    s, ns, i, j, m, nm, seen, entry, one_entry, row, rule, cls, present, np) {
	# A section's cells may come from other namespaces than the matrix's
	# (a bind mount needs ipc+mnt): each (mechanism, scenario) keeps its own.
	ns = split(scenarios, s, " ")
	nm = 0
	one_entry = ""
	for (i = 1; i <= NCELLS; i++) {
		for (j = 1; j <= ns; j++)
			if (SCEN[i] == s[j])
				break
		if (j > ns)
			continue
		if (!(SCEN[i] in present)) {
			present[SCEN[i]]
			np++
		}
		if (!(MECH[i] in seen)) {
			seen[MECH[i]]
			m[++nm] = MECH[i]
		}
		if (!((MECH[i] SUBSEP SCEN[i]) in cls))
			cls[MECH[i] SUBSEP SCEN[i]] = ns_class(NSS[i])
		entry[ENTRY[i]]
		one_entry = ENTRY[i]
	}
	if (!nm)
		return
	for (i in entry)
		if (i != one_entry)
			one_entry = ""
	out("")
	out("## " title)
	out("")
	out(md(text))
	out("")
	row = "| Mechanism"
	rule = "|---"
	for (j = 1; j <= ns; j++)
		if (s[j] in present) {
			row = row " | " md(s[j])
			rule = rule "|---"
		}
	out(row " |")
	out(rule "|")
	for (i = 1; i <= nm; i++) {
		row = "| " mech_label(m[i])
		for (j = 1; j <= ns; j++)
			if (s[j] in present)
				row = row " | " ((m[i] SUBSEP s[j]) in cls ? \
					cell_summary(m[i] SUBSEP s[j] SUBSEP cls[m[i] SUBSEP s[j]], one_entry) : "—")
		out(row " |")
	}
}

function cell_title(i) {
	return mech_label(MECH[i]) ", " scen_label(SCEN[i]) ", entry " md(ENTRY[i]) \
		", namespaces " md(NSS[i])
}

function write_deviations(    i) {
	out("")
	out("## Deviations")
	out("")
	if (NCELLS == 0) {
		out("None: no cell was measured.")
		return
	}
	if (!COUNT["fail"]) {
		out("None: every measured cell matched fixtures/expected.tsv.")
		return
	}
	out("Cells whose observation contradicts fixtures/expected.tsv:")
	out("")
	for (i = 1; i <= NCELLS; i++) {
		if (VERD[i] != "fail")
			continue
		out("- **" cell_title(i) "**")
		out("  - expected: **" expected_word(EXP[i]) "**, because: " md(WHY[i]))
		out("  - observed: **" observed_word(OBS[i]) "**")
		out("  - detail: " (DET[i] == "" ? "(none recorded)" : md(DET[i])))
	}
}

function write_skips(    i) {
	out("")
	out("## Skips")
	out("")
	if (!COUNT["skip"]) {
		out("None.")
		return
	}
	for (i = 1; i <= NCELLS; i++)
		if (VERD[i] == "skip")
			out("- " cell_title(i) ": " (DET[i] == "" ? "(no reason recorded)" : md(DET[i])))
}

function write_notes(    i) {
	out("")
	out("## Run notes")
	out("")
	if (NNOTES == 0) {
		out("None.")
		return
	}
	for (i = 1; i <= NNOTES; i++)
		out("- " md(NOTES[i]))
}
EOF
}

# render CELLS META OUTDIR: both files written and renamed into place.
render() {
	local cells meta json_tmp md_tmp rc=0
	awk_path cells "$1"
	awk_path meta "$2"
	new_temp json_tmp "$3" results.json
	new_temp md_tmp "$3" RESULTS.md
	# LC_ALL=C: bytes, not characters, so mawk and gawk treat UTF-8 alike.
	CELLS=$cells META=$meta JSON_OUT=$json_tmp MD_OUT=$md_tmp \
		LC_ALL=C "${AWK:-awk}" "$(report_program)" || rc=$?
	case $rc in
		0) ;;
		4) exit 2 ;; # malformed input; awk said which line
		*) cannot_write "awk exited $rc writing in '$3'" ;;
	esac
	how_to_read >>"$md_tmp" || cannot_write "$md_tmp"
	mv -f -- "$json_tmp" "$3/results.json" || cannot_write "$3/results.json"
	mv -f -- "$md_tmp" "$3/RESULTS.md" || cannot_write "$3/RESULTS.md"
}

# Something to read: not missing, not a directory.
readable() {
	[ -r "$1" ] && [ ! -d "$1" ]
}

main() {
	[ $# -eq 3 ] || usage_error "wants 3 arguments, got $#"
	readable "$1" || usage_error "cannot read the cells file '$1'"
	readable "$2" || usage_error "cannot read the meta file '$2'"
	[ -n "$3" ] || usage_error "OUTDIR is empty"
	[ -d "$3" ] || mkdir -p -- "$3" 2>/dev/null || cannot_write "cannot make the directory '$3'"
	render "$@"
}

main "$@"
