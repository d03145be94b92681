#!/usr/bin/env python3
"""The record of a run, and the comparison of several.

  record.py render CELLS META OUTDIR
      the cells one run recorded (suites/scenario.sh's IPCNS_RECORD) and the
      facts of that run in; OUTDIR/results.json (schema 2), RESULTS.md,
      junit.xml and results.ktap out.
  record.py compare RESULTS.json... [--output FILE]
      several runs' results.json (schema 1 or 2) in, one Markdown table out
      (./run-tests.sh --compare).

The answer and the tables are made of observed values only. An expectation
is shown only beside the observation that contradicts it, so a record can
never claim what the kernel was not seen doing.

Python's standard library only (json, xml.etree): one language for JSON,
Markdown, JUnit XML and KTAP, and real JSON and XML writers and readers.
Every file is written beside its final name and renamed into place: a reader
sees the old file or the new one, never half of one.
"""

import json
import os
import re
import string
import sys
import xml.etree.ElementTree as ET

PROG = "record.py"

USAGE = """\
usage: record.py render CELLS META OUTDIR
       record.py compare RESULTS.json... [--output FILE]
render: writes OUTDIR/results.json, RESULTS.md, junit.xml and results.ktap
from the cells of one run.
  CELLS   a cell a line: either 9 tab-separated fields (mechanism scenario
          entry namespaces expected observed verdict detail why; observed may
          be empty), as suites/scenario.sh records them, or, when the name
          ends in .jsonl, a JSON object a line with those keys (observed may
          be null). May be empty.
  META    key<TAB>value lines: kernel arch distro privilege util-linux bats cc
          date duration run_id command; any number of "note<TAB>TEXT",
          "config<TAB>CONFIG_NAME<TAB>VALUE" and "sysctl<TAB>NAME<TAB>VALUE"
          lines; "config_source<TAB>PATH". Unknown keys are ignored, missing
          ones shown as unknown.
  OUTDIR  made if missing
compare: merges the results.json files of several runs into one Markdown
table: a row for each cell (mechanism, scenario, entry, namespaces), a column
for each run (kernel, distro, privilege, date). Rows where the runs differ
come first; the rows identical in all runs follow, folded. A rootless run's
ipc+user cells share the rows of a root run's ipc cells.
  --output FILE  write the table there (default: standard output)
exit: 0 written, 2 usage, 3 an input unreadable or invalid (the message says
      which file and line), or an output that cannot be written
"""


class Failure(Exception):
    """An input that cannot be read or is invalid, or an output that cannot
    be written: exit 3, with the message."""


class UsageError(Exception):
    """Exit 2, with the message and the usage."""


def usage_error(msg):
    raise UsageError(msg)


# ---- shared -------------------------------------------------------------

def read_text(path, what):
    """The file's text: UTF-8, an invalid byte as U+FFFD."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        raise Failure("cannot read %s '%s': it is a directory" % (what, path))
    except OSError as e:
        raise Failure("cannot read %s '%s': %s" % (what, path, e.strerror))
    return data.decode("utf-8", errors="replace")


def text_lines(text):
    """Lines split at \\n only (str.splitlines would also split at \\r, \\f,
    \\x1c...), without the empty string after a final newline."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def write_files(outdir, files):
    """files: [(name, text)]. Each is written to a new file in OUTDIR (O_EXCL,
    so with the mode any new file gets) and then renamed into place."""
    temps = []
    try:
        for name, text in files:
            tmp = os.path.join(outdir, ".%s.%d.%s" % (name, os.getpid(), os.urandom(4).hex()))
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except OSError as e:
                raise Failure("cannot write in '%s': %s" % (outdir, e.strerror))
            temps.append((tmp, os.path.join(outdir, name)))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        for tmp, final in temps:
            os.replace(tmp, final)
    except OSError as e:
        raise Failure("cannot write in '%s': %s" % (outdir, e.strerror))
    finally:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# ---- render: input --------------------------------------------------------

VERDICTS = ("pass", "fail", "skip", "broken")
# Observed and expected values are single words: isolated, shared, crosses,
# blocked for the matrix; numbers and words such as applied or old-ns for the
# groups. Empty: no valid observation.
VALUE_RE = re.compile(r"[A-Za-z0-9_.+-]*\Z")
FIELDS = ("mechanism", "scenario", "entry", "namespaces", "expected",
          "observed", "verdict", "detail", "why")
CONFIG_RE = re.compile(r"CONFIG_[A-Za-z0-9_]+\Z")


class Cell:
    __slots__ = FIELDS

    def __init__(self, values):
        for k, v in zip(FIELDS, values):
            setattr(self, k, v)


def check_cell(path, lineno, values):
    def bad(why):
        raise Failure("%s: line %d: %s" % (path, lineno, why))
    for i in range(4):
        if values[i] == "":
            bad("the %s field is empty" % FIELDS[i])
    if values[6] not in VERDICTS:
        bad('unknown verdict "%s" (pass, fail, skip or broken)' % values[6])
    if not VALUE_RE.match(values[5]):
        bad('observed value "%s" is not a word' % values[5])
    if not VALUE_RE.match(values[4]):
        bad('expected value "%s" is not a word' % values[4])
    return Cell(values)


def load_cells_tsv(path):
    cells = []
    for lineno, line in enumerate(text_lines(read_text(path, "the cells file")), 1):
        f = line.split("\t") if line else []
        if len(f) != 9:
            raise Failure("%s: line %d: has %d tab-separated fields, wants 9"
                          % (path, lineno, len(f)))
        cells.append(check_cell(path, lineno, f))
    return cells


def load_cells_jsonl(path):
    cells = []
    for lineno, line in enumerate(text_lines(read_text(path, "the cells file")), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_constant=reject_constant)
        except ValueError as e:
            raise Failure("%s: line %d: not JSON: %s" % (path, lineno, e))
        if not isinstance(obj, dict):
            raise Failure("%s: line %d: not a JSON object" % (path, lineno))
        values = []
        for k in FIELDS:
            if k not in obj:
                raise Failure('%s: line %d: no "%s"' % (path, lineno, k))
            v = obj[k]
            if v is None and k in ("expected", "observed"):
                v = ""
            if not isinstance(v, str):
                raise Failure('%s: line %d: "%s" is not a string' % (path, lineno, k))
            values.append(v)
        cells.append(check_cell(path, lineno, values))
    return cells


def load_cells(path):
    if path.endswith(".jsonl"):
        return load_cells_jsonl(path)
    return load_cells_tsv(path)


class Meta:
    """The facts of a run: the last value of each key, notes, config options
    and sysctls in the order given."""

    def __init__(self, path):
        self.values = {}
        self.notes = []
        self.config_source = None
        self.config = {}
        self.sysctls = {}
        self.target = {}  # an audit's: "target" and "peer", and the policy
        for line in text_lines(read_text(path, "the meta file")):
            key, tab, value = line.partition("\t")
            if not tab:
                continue
            if key == "note":
                self.notes.append(value)
            elif key == "target":
                self.add_target(value.split("\t"))
            elif key == "config_source":
                self.config_source = value or None
            elif key in ("config", "sysctl"):
                name, tab, v = value.partition("\t")
                if not tab or not name:
                    continue
                if key == "sysctl":
                    self.sysctls[name] = v
                elif CONFIG_RE.match(name):
                    self.config[name] = v
            else:
                self.values[key] = value

    def add_target(self, f):
        """An audit's "target ROLE KEY VALUE..." line (ROLE target or peer;
        KEY pid, start, comm, runtime, id, name, ns TYPE THIS THEIRS; any
        other key is the runtime's own claim) or "target policy VALUE"."""
        if len(f) == 2 and f[0] == "policy":
            self.target["policy"] = f[1]
            return
        if len(f) < 3 or f[0] not in ("target", "peer") or not f[1]:
            return
        who = self.target.setdefault(f[0], {"claims": {}, "namespaces": {}})
        if f[1] == "ns" and len(f) == 5:
            who["namespaces"][f[2]] = {"this": f[3], "target": f[4]}
        elif f[1] in ("pid", "start", "comm", "runtime", "id", "name"):
            who[f[1]] = f[2]
        else:
            who["claims"][f[1]] = "\t".join(f[2:])

    def __getitem__(self, key):
        return self.values.get(key) or "unknown"

    def raw(self, key):
        return self.values.get(key, "")


def json_number(s):
    """The literal if it is a plain decimal number, else None."""
    return s if re.match(r"(0|[1-9][0-9]*)(\.[0-9]+)?\Z", s) else None


# ---- render: tables ---------------------------------------------------------

NAMED = "sysv-msg sysv-sem sysv-shm posix-mq posix-sem posix-shm fifo unix-path unix-abstract".split()
INHERITED = "pipe socketpair eventfd memfd posix-sem-unnamed signal".split()
MECH_NAME = {
    "sysv-msg": "SysV message queue",
    "sysv-sem": "SysV semaphore set",
    "sysv-shm": "SysV shared memory",
    "posix-mq": "POSIX message queue",
    "posix-sem": "POSIX named semaphore",
    "posix-shm": "POSIX shared memory",
    "fifo": "FIFO",
    "unix-path": "Unix socket, pathname",
    "unix-abstract": "Unix socket, abstract name",
    "pipe": "Pipe",
    "socketpair": "Socket pair",
    "eventfd": "eventfd",
    "memfd": "memfd",
    "posix-sem-unnamed": "POSIX unnamed semaphore, shared memory",
    "signal": "Signal to the parent",
}
MATRIX_SCENARIOS = "host-to-ns ns-to-host sibling same-name join".split()
SCEN_NAME = {
    "host-to-ns": "host → ns",
    "ns-to-host": "ns → host",
    "sibling": "sibling",
    "same-name": "same name",
    "join": "join",
    "inherited": "inherited",
}
INHERIT_ENTRIES = "clone clone3 unshare".split()

# What a namespace carries besides objects: a section each (title,
# scenarios as columns, text). Cells of a scenario in none of these still
# show, under "Other measurements".
SECTIONS = [
    ("Per-namespace sysctls",
     "new-ns-default child-write-hidden parent-write-hidden fd-bound rootless-write",
     "Each IPC sysctl in a namespace the suite made (the host's are never written). new-ns-default: the value a namespace made from one holding another value starts with (expected: the compile-time default, not the parent's). child-write-hidden / parent-write-hidden: a write on one side is isolated from the other. fd-bound: an fd opened before unshare reads the old namespace (old-ns) or the new (new-ns). rootless-write: whether root of a user namespace owning the IPC namespace may write it."),
    ("SEM_UNDO at the boundary",
     "at-unshare at-setns control-unshare-uts clone-newipc-sysvsem unshare-newipc-sysvsem",
     "A process holding SEM_UNDO adjustments that changes IPC namespace: are they applied to the old namespace's semaphore at that moment (applied) or kept? unshare(CLONE_NEWUTS) is the control. And whether clone/unshare accept CLONE_NEWIPC together with CLONE_SYSVSEM."),
    ("Handles across unshare",
     "mapping-across-unshare old-id-after-unshare fd-across-unshare unlink-after-unshare rmid-forced-at-unshare rmid-forced-orphans",
     "What a process made or opened before unshare(CLONE_NEWIPC) still reaches afterwards: a shmat mapping and an mqueue fd (crosses), the old shm id and the queue's name (isolated), and what kernel.shm_rmid_forced=1, set only inside a namespace the suite made, destroys."),
    ("Lifetime",
     "held-by-nsfs-fd held-by-bind-mount destroyed-with-last-holder",
     "Objects outlive the namespace's last process while an nsfs fd or a bind mount of /proc/PID/ns/ipc holds it, and are destroyed with the last holder (shown through the memory they free)."),
    ("The mqueue filesystem",
     "mount-before-unshare fresh-mount create-through-fs mount-in-userns mount-in-userns-host-ipc",
     "A mount of mqueue shows the IPC namespace of the task that mounted it, at mount time (old-ns after unshare); a fresh mount shows the new one; files made through it are queues; and whether mqueue can be mounted in a user namespace that owns the IPC namespace (mount-in-userns) or one that does not (mount-in-userns-host-ipc). All mounts are made in a private mount namespace."),
    ("IDs are not a side door",
     "id-restart foreign-id proc-sysvipc",
     "id-restart: the id of the first object made in a fresh namespace. foreign-id: the host's SysV ids, used by number from inside. proc-sysvipc: whether /proc/sysvipc inside lists only the namespace's own objects."),
    ("The tools' view",
     "tool-ipcs-host tool-unshare-ipcs tool-lsipc-ns tool-nsenter tool-lsns tool-ipcrm",
     "The session of the project's second seed note, as cells: objects made with ipcmk on the host are seen by ipcs there, by neither unshare -i ipcs nor lsipc inside a new namespace; nsenter --ipc sees a held namespace's objects; lsns -t ipc lists it; ipcrm removes the host's."),
    ("Namespace identity",
     "inode-after-unshare inode-after-setns ns-get-nstype ns-get-userns ns-get-id",
     "The /proc/PID/ns/ipc inode after unshare and after setns, and what the nsfs ioctls NS_GET_NSTYPE, NS_GET_USERNS and NS_GET_ID (Linux 6.18) say of an IPC namespace fd."),
    ("Limits",
     "max-ipc-namespaces rlimit-msgqueue-shared",
     "max-ipc-namespaces: /proc/sys/user/max_ipc_namespaces, set low in a user namespace the suite made, refuses the next IPC namespace with ENOSPC. rlimit-msgqueue-shared: RLIMIT_MSGQUEUE is spent per user, not per IPC namespace (shared: a new namespace finds the budget already spent). Both in a new user namespace, whose counts start from zero."),
]

# The static end of RESULTS.md: what the words and the columns mean.
HOW_TO_READ = """
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
- **broken** (no observation): the measurement produced no valid result (its
  setup or positive control failed, or the probe answered something
  unexpected): neither a deviation of the kernel nor a skip; the cell is
  listed under Broken with what went wrong.
- **skipped**: this system could not make the measurement at all; the reason
  is under Skips.
- **✗**: the observation contradicts its probe's fixtures (fixtures/PROBE.tsv; see Deviations).

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

Expected values live in fixtures/PROBE.tsv, a file for each probe, each with
the source of the claim. The suite compares every observation with them and never copies one
into a result; this report shows them only next to a deviation.
"""

ALNUM = set(string.ascii_letters + string.digits)
# ASCII punctuation that could start Markdown formatting mid-line.
MD_PUNCT = set("\\`*<>[]|&~")


def md(s):
    """TEXT shown literally in Markdown, table cells included: a control
    character as a visible \\xNN. An underscore inside a word (O_CREAT)
    cannot start emphasis and is left alone."""
    out = []
    n = len(s)
    for i, c in enumerate(s):
        if ord(c) < 32 or c == "\x7f":
            out.append("\\\\x%02x" % ord(c))
        elif c in MD_PUNCT:
            out.append("\\" + c)
        elif c == "_" and not (i > 0 and s[i - 1] in ALNUM and i + 1 < n and s[i + 1] in ALNUM):
            out.append("\\_")
        else:
            out.append(c)
    return "".join(out)


def mech_label(m):
    return "%s (`%s`)" % (MECH_NAME[m], m) if m in MECH_NAME else md(m)


def scen_label(s):
    return SCEN_NAME[s] if s in SCEN_NAME else md(s)


def observed_word(v):
    return v or "no observation"


def expected_word(v):
    return v or "nothing (no row in the probe's fixtures)"


def ns_class(ns):
    """The base namespaces are the IPC namespace alone (with the user
    namespace a rootless run needs); anything more is a container-like
    variant."""
    return "base" if ns in ("ipc", "ipc+user") else ns


def table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# ---- an audit (run-tests.sh --against, --container) ------------------------

AUDIT_HOW_TO_READ = """
## How to read this

An audit enters the target's user (last, as uid 0 there), IPC, mount and
network namespaces, never its pid namespace, from a child of the probe: no
file of the container is used. For each mechanism and direction, the maker
makes an object under a unique name holding a random value and reads it back
(its control); the other side, which must be able to make an object of its
own (its control), looks the name up.

- **shared**: the other side read the maker's value: the two can talk.
- **shared-denied**: the other side found the object but was refused
  (EACCES, EPERM): shared, denied by permissions, not isolated.
- **isolated**: the other side did not find it, and both controls passed.
- **cannot measure**: a control failed (the target has no /dev/shm, say); the
  reason is under Skips.
- **by another path**: the target's mount is seen on this side at another
  path (podman's /dev/shm is a host tmpfs in the runtime's storage): this side
  reaches the target's objects there, the target does not reach this side's.

Without --expect the audit only records (every valid observation passes);
with --expect isolated (fixtures/policy-isolated/) or a policy file, a cell
that contradicts the policy fails and is listed under Deviations.
"""

# What the two sides of an audit observed: the opener found the maker's
# object and read its value (shared), found it but was refused (shared-denied),
# or did not find it while both controls passed (isolated); "skip" is a
# control that failed: cannot measure.
IPC_MECHS = "sysv-msg sysv-sem sysv-shm posix-mq".split()
SHM_MECHS = "posix-shm posix-sem fifo:/dev/shm unix-path:/dev/shm".split()


def direction(scenario):
    """A cell's direction, "in" (this side makes, the target opens) or "out",
    and whether it reaches the target's mount through another path."""
    via = "via-path" in scenario
    return ("out" if scenario.startswith("target-to") else "in"), via


def claim_says(value, peer):
    """What a runtime's IPC or network mode claims: "shared" with this side,
    or "own"; None if the value says neither."""
    v = value.strip().lower()
    if v == "host":
        return "shared" if not peer else "own"
    if v.startswith("container:"):
        return "shared" if peer else "own"
    if v in ("private", "shareable", "none", "bridge", "slirp4netns", "pasta", "default", "",
             "ns", "private-ns"):
        return "own"
    return None


class Audit:
    """The audit's reading of the cells, for Report."""

    def audit_sides(self):
        return ("peer" if "peer" in self.meta.target else "host"), "target"

    def reach(self):
        """{mechanism: {(direction, via): cell}}, in the order measured."""
        out = {}
        for c in self.cells:
            if c.scenario.startswith(("host-", "target-", "peer-")):
                out.setdefault(c.mechanism, {})[direction(c.scenario)] = c
        return out

    @staticmethod
    def word(c):
        if c is None:
            return "—"
        if c.verdict == "skip":
            return "cannot measure"
        if c.verdict == "broken" or not c.observed:
            return "broken"
        return c.observed + (" ✗" if c.verdict == "fail" else "")

    def measured(self, mechs, reach):
        """"shared", "own" or "mixed" for the same-name cells of MECHS in both
        directions; None if none was validly observed."""
        seen = set()
        for m in mechs:
            for key in (("in", False), ("out", False)):
                c = reach.get(m, {}).get(key)
                if c is not None and c.verdict in ("pass", "fail") and c.observed:
                    seen.add("own" if c.observed == "isolated" else "shared")
        return None if not seen else seen.pop() if len(seen) == 1 else "mixed"

    def aspects(self):
        """(aspect, the runtime's claim or None, what was measured, agree)."""
        t = self.meta.target
        peer = "peer" in t
        reach = self.reach()
        claims = t.get("target", {}).get("claims", {})
        out = []
        for aspect, keyword, mechs in (("IPC namespace", "ipc", IPC_MECHS),
                                       ("network (abstract sockets)", "net", ["unix-abstract"]),
                                       ("/dev/shm", "shm", SHM_MECHS)):
            if keyword == "shm":
                # no mode of its own: a bind mount onto /dev/shm says it
                src = claims.get("bind /dev/shm")
                claim = None if src is None else "bind mount of %s" % src
                said = None if src is None else "shared" if src == "/dev/shm" and not peer else None
            else:
                claim = next((v for k, v in claims.items() if keyword in k.lower()), None)
                said = None if claim is None else claim_says(claim, peer)
            got = self.measured(mechs, reach)
            agree = None if said is None or got in (None, "mixed") else said == got
            out.append((aspect, claim, got, agree))
        return out

    def audit_json(self):
        t = self.meta.target
        reach = self.reach()
        obj = {k: v for k, v in t.items()}
        obj.setdefault("policy", "none")
        obj["measured"] = {m: {("%s%s" % ("this-to-target" if d == "in" else "target-to-this",
                                           "-via-path" if via else "")): (c.observed or None) if c.verdict != "skip" else "cannot-measure"
                               for (d, via), c in cells.items()} for m, cells in reach.items()}
        obj["shared"] = [m for m, cells in reach.items()
                         if any(c.observed == "shared" and not via for (d, via), c in cells.items())]
        obj["claims_vs_measured"] = [{"aspect": a, "claim": cl, "measured": got, "agree": ag}
                                     for a, cl, got, ag in self.aspects()]
        return obj

    def audit_markdown(self):
        t = self.meta.target
        this, _ = self.audit_sides()
        tg = t.get("target", {})
        who = "%s container %s" % (tg["runtime"], tg.get("name") or tg.get("id")) if "runtime" in tg \
            else "process %s (%s)" % (tg.get("pid", "?"), tg.get("comm", "?"))
        header = self.header()
        header[0] = "# IPC audit: %s" % md(who)
        out = header + ["", "Target: pid %s, started at tick %s; policy: %s." % (
            md(tg.get("pid", "?")), md(tg.get("start", "?")), md(t.get("policy", "none")))]
        if "peer" in t:
            p = t["peer"]
            out += ["", "This side is the peer, pid %s (%s%s), not the host." % (
                md(p.get("pid", "?")), md(p.get("comm", "?")),
                ", %s container %s" % (md(p["runtime"]), md(p.get("name", "?"))) if "runtime" in p else "")]
        reach = self.reach()
        groups = {}  # {word: {mechanism: [arrows]}}
        for m, cells in reach.items():
            for (d, via), c in cells.items():
                w = self.word(c).replace(" ✗", "")
                key = ("through the runtime's storage" if via and w == "shared" else w)
                arrow = "%s → target" % this if d == "in" else "target → %s" % this
                groups.setdefault(key, {}).setdefault(m, []).append(arrow)
        groups = {k: ["%s (%s)" % (md(m), "both ways" if len(a) == 2 else a[0]) for m, a in v.items()]
                  for k, v in groups.items()}
        shared = groups.get("shared", [])
        out += ["", "- **Shared with the %s:** %s." % (this, ", ".join(shared) if shared else "nothing")]
        for key, text in (("shared-denied", "Shared, denied by permissions"),
                          ("through the runtime's storage", "Reachable from the %s only through the runtime's storage" % this),
                          ("cannot measure", "Cannot measure"), ("broken", "Broken")):
            if key in groups:
                out.append("- **%s:** %s." % (text, ", ".join(groups[key])))
        out += ["", "## What each side reached", "",
                "The maker's object, holding a value, was looked up by name from the other side;"
                " both sides' controls passed unless the cell says cannot measure.", ""]
        rows = []
        for m, cells in reach.items():
            for via in (False, True):
                if ("in", via) not in cells and ("out", via) not in cells:
                    continue
                path = ""
                if via:
                    c = cells.get(("in", True)) or cells.get(("out", True))
                    found = re.search(r"this side's path: ([^()]*)\)", c.detail) if c else None
                    path = " (by another path: %s)" % md(found.group(1)) if found else " (by another path)"
                rows.append([md(m) + path, self.word(cells.get(("in", via))), self.word(cells.get(("out", via)))])
        out += table(["Mechanism", "%s → target" % this, "target → %s" % this], rows)
        out += ["", "## The runtime's claims and the measurement", ""]
        rows = []
        for aspect, claim, got, agree in self.aspects():
            rows.append([aspect, md(claim) if claim is not None else "—",
                         {"shared": "shared with the %s" % this, "own": "its own", "mixed": "mixed",
                          None: "not measured"}[got],
                         {True: "yes", False: "**no** ✗", None: "—"}[agree]])
        out += table(["", "runtime says", "measured", "agree"], rows)
        ns = tg.get("namespaces", {})
        if ns:
            # Every "ns" line is run-tests.sh's own (the host's) beside the
            # process's: with a peer, this side is the peer's column.
            peer_ns = t.get("peer", {}).get("namespaces", {})
            head = ["type", "host"] + (["peer"] if peer_ns else []) + ["target", "same as %s" % this]
            rows = []
            for k, v in ns.items():
                mine = peer_ns[k]["target"] if k in peer_ns else v["this"]
                rows.append([md(k), md(v["this"])] + ([md(mine)] if peer_ns else [])
                            + [md(v["target"]), "yes" if mine == v["target"] else "no"])
            out += ["", "## Namespaces (inodes)", ""] + table(head, rows)
        claims = tg.get("claims", {})
        if claims:
            out += ["", "The runtime's own words: %s." % ", ".join(md("%s=%s" % kv) for kv in claims.items())]
        for part in (self.deviations, self.broken, self.skips, self.notes):
            out += part()
        return "\n".join(out) + "\n" + AUDIT_HOW_TO_READ


class Report(Audit):
    def __init__(self, cells, meta):
        self.cells = cells
        self.meta = meta
        self.count = {v: 0 for v in VERDICTS}
        for c in cells:
            self.count[c.verdict] += 1
        # groups[(mechanism, scenario, class)]: its cells, in input order.
        self.groups = {}
        self.base_ns = ""
        self.variants = []
        for c in cells:
            cls = ns_class(c.namespaces)
            in_matrix = c.scenario in MATRIX_SCENARIOS or c.scenario == "inherited"
            # The base namespaces are the matrix's: other groups make user
            # namespaces of their own even in a root run.
            if cls == "base" and in_matrix:
                self.base_ns = c.namespaces
            elif cls != "base" and in_matrix and cls not in self.variants:
                self.variants.append(cls)
            self.groups.setdefault((c.mechanism, c.scenario, cls), []).append(c)

    # ---- results.json ----

    def json(self):
        m = self.meta
        d = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
        duration = json_number(m.raw("duration"))
        lines = [
            '{"schema": 2, "kernel": %s, "arch": %s, "distro": %s,' % (d(m["kernel"]), d(m["arch"]), d(m["distro"])),
            ' "privilege": %s, "tools": {"util-linux": %s, "bats": %s, "cc": %s},'
            % (d(m["privilege"]), d(m["util-linux"]), d(m["bats"]), d(m["cc"])),
            ' "date": %s, "run_id": %s, "duration_s": %s,' % (d(m["date"]), d(m["run_id"]), duration or "null"),
            ' "summary": {"pass": %d, "fail": %d, "skip": %d, "broken": %d},'
            % (self.count["pass"], self.count["fail"], self.count["skip"], self.count["broken"]),
            ' "config": %s,' % d({"source": m.config_source, "options": m.config}),
            ' "sysctls": %s,' % d(m.sysctls),
        ]
        if m.target:
            lines.append(' "target": %s,' % d(self.audit_json()))
        if not self.cells:
            lines.append(' "cells": []}')
        else:
            lines.append(' "cells": [')
            for i, c in enumerate(self.cells):
                obj = {k: getattr(c, k) for k in FIELDS[:8]}
                obj["observed"] = c.observed or None
                lines.append("  " + d(obj) + ("," if i < len(self.cells) - 1 else ""))
            lines.append("]}")
        text = "\n".join(lines) + "\n"
        json.loads(text)  # what is written is JSON
        return text

    # ---- RESULTS.md ----

    def markdown(self):
        if self.meta.target:
            return self.audit_markdown()
        out = []
        for part in (self.header, self.answer, self.matrix, self.inherited,
                     self.variants_table, self.sections, self.deviations,
                     self.broken, self.skips, self.notes):
            out += part()
        return "\n".join(out) + "\n" + HOW_TO_READ

    def header(self):
        m = self.meta
        raw = m.raw("duration")
        duration = m["duration"] if json_number(raw) is None else raw + " s"
        out = ["# IPC namespace isolation: results", "",
               "Kernel %s on %s, %s, run as %s; util-linux %s, bats %s, cc %s; run on %s, took %s."
               % tuple(md(x) for x in (m["kernel"], m["arch"], m["distro"], m["privilege"],
                                        m["util-linux"], m["bats"], m["cc"], m["date"], duration)),
               "",
               "Run id %s; command: %s" % (md(m["run_id"]), md(m["command"])),
               ""]
        if m.config:
            options = ", ".join(md("%s=%s" % kv) for kv in m.config.items())
            source = md(m.config_source) if m.config_source else "source unknown"
            out += ["Kernel config (%s): %s." % (source, options), ""]
        elif m.config_source:
            out += ["Kernel config (%s): no option recorded." % md(m.config_source), ""]
        else:
            out += ["Kernel config: not available.", ""]
        if m.sysctls:
            out += ["Sysctls: %s." % ", ".join(md("%s=%s" % kv) for kv in m.sysctls.items()), ""]
        else:
            out += ["Sysctls: none recorded.", ""]
        n = len(self.cells)
        if n == 0:
            out.append("0 cells: this run recorded no measurement.")
            return out
        c = self.count
        out.append("%d %s: %d pass, %d fail, %d skipped%s.%s%s The words are explained under How to read this, at the end."
                   % (n, "cell" if n == 1 else "cells", c["pass"], c["fail"], c["skip"],
                      ", %d broken" % c["broken"] if c["broken"] else "",
                      " The failures are listed under Deviations." if c["fail"] else "",
                      " The broken measurements are listed under Broken." if c["broken"] else ""))
        return out

    def agreed(self, key):
        """What the valid observations of a group agree on; "mixed" if they
        differ, "none" if it has cells but no valid observation, "" if no
        cells."""
        if key not in self.groups:
            return ""
        v = "none"
        for c in self.groups[key]:
            if c.observed == "":
                continue
            if v == "none":
                v = c.observed
            elif v != c.observed:
                return "mixed"
        return v

    def by_agreement(self, mechs, scen):
        """{value: the mechanisms whose base cells in SCEN agree on it},
        and how many of them were validly observed at all."""
        answer = {}
        measured = 0
        for m in mechs:
            v = self.agreed((m, scen, "base"))
            if v == "":
                continue
            answer[v] = answer[v] + ", " + m if v in answer else m
            if v != "none":
                measured += 1
        return answer, measured

    def answer(self):
        """The one-sentence answer, from observed values only. A mechanism
        with no valid observation is left out: the tables, Deviations and
        Skips show it."""
        def part(answer, value, text):
            return " %s: %s." % (text, answer[value]) if value in answer else ""
        alone = "a new IPC namespace alone"
        if self.base_ns == "ipc+user":
            alone += " (owned by a new user namespace, as a run without root needs)"
        s = ""
        answer, measured = self.by_agreement(NAMED, "host-to-ns")
        if measured:
            if "isolated" in answer:
                s = " On this kernel %s isolated: %s." % (alone, answer["isolated"])
            else:
                s = " On this kernel %s isolated none of the named mechanisms measured." % alone
            s += (part(answer, "shared", "It did not isolate")
                  + part(answer, "mixed", "Its entry points disagreed (see the matrix) for")
                  + part(answer, "crosses", "Observed crosses, a word for inherited channels, for")
                  + part(answer, "blocked", "Observed blocked, a word for inherited channels, for"))
        answer, _ = self.by_agreement(INHERITED, "inherited")
        s += (part(answer, "crosses", "Inherited channels crossed")
              + part(answer, "blocked", "Inherited channels were blocked")
              + part(answer, "mixed", "Inherited channels that crossed through some entry points only"))
        if not s:
            s = (" This run observed no named mechanism from the host in a new namespace"
                 " and no inherited channel, so it answers nothing.")
        return ["", "**Answer.**" + s]

    def summary(self, key, only=""):
        """One table cell for the cells of group KEY (of entry ONLY alone,
        when given): the passing values with their entries, each failure with
        what was expected, the skipped entries."""
        cells = [c for c in self.groups.get(key, []) if not only or c.entry == only]
        if not cells:
            return "—"
        passed, failed, skipped = {}, {}, []
        for c in cells:
            if c.verdict == "pass":
                passed.setdefault(c.observed, []).append(md(c.entry))
            elif c.verdict in ("fail", "broken"):
                failed.setdefault((c.observed, c.expected), []).append(md(c.entry))
            else:
                skipped.append(md(c.entry))
        parts = []
        for v, entries in passed.items():
            parts.append(observed_word(v) + ("" if only else " (%s)" % ", ".join(entries)))
        for (obs, exp), entries in failed.items():
            parts.append("**%s** ✗%s (expected %s)" % (observed_word(obs),
                         "" if only else " via " + ", ".join(entries), expected_word(exp)))
        if skipped:
            parts.append("skipped" + ("" if only else " (%s)" % ", ".join(skipped)))
        return "; ".join(parts)

    def has_cells(self, mechs, scenarios, cls):
        return any((m, s, cls) in self.groups for m in mechs for s in scenarios)

    def base_label(self):
        if self.base_ns:
            return "`%s`" % self.base_ns
        return "`ipc+user`" if self.meta.raw("privilege") == "rootless" else "`ipc`"

    def matrix(self):
        out = ["", "## The matrix at a glance", ""]
        if not self.has_cells(NAMED, MATRIX_SCENARIOS, "base"):
            return out + ["No named mechanism was measured in a new IPC namespace alone (%s)."
                          % self.base_label()]
        out += ["What the other side observed, with a new IPC namespace alone (%s); in parentheses"
                " the entry points that observed it." % self.base_label(), ""]
        return out + table(["Mechanism"] + [SCEN_NAME[s] for s in MATRIX_SCENARIOS],
                           [[mech_label(m)] + [self.summary((m, s, "base")) for s in MATRIX_SCENARIOS]
                            for m in NAMED])

    def inherited(self):
        out = ["", "## Inherited channels", ""]
        if not self.has_cells(INHERITED, ["inherited"], "base"):
            return out + ["No inherited channel was measured in this run."]
        out += ["A channel made before the new IPC namespace (%s), used by a child inside it: did its"
                " value reach the parent outside? Columns: how the child's namespace was made."
                % self.base_label(), ""]
        return out + table(["Channel"] + INHERIT_ENTRIES,
                           [[mech_label(m)] + [self.summary((m, "inherited", "base"), e)
                                               for e in INHERIT_ENTRIES] for m in INHERITED])

    def variants_table(self):
        out = ["", "## Container-like variants", ""]
        if not self.variants:
            return out + ["No variant (a new IPC namespace together with a mount or network namespace)"
                          " was measured in this run."]
        out += ["The new IPC namespace made together with another namespace, as containers do: "
                "`+mnt` also gives a fresh /dev/shm and /dev/mqueue, `+net` its own network stack. "
                "Compare with the host → ns column of the matrix.", ""]
        head = ["Mechanism"]
        for v in self.variants:
            head += [md(v) + ": host → ns", md(v) + ": ns → host"]
        rows = []
        for m in NAMED:
            row = [mech_label(m)]
            for v in self.variants:
                row += [self.summary((m, "host-to-ns", v)), self.summary((m, "ns-to-host", v))]
            rows.append(row)
        return out + table(head, rows)

    def sections(self):
        """A table a section, mechanisms as rows (in the order they were
        measured), scenarios as columns; then anything no section claims."""
        out = []
        claimed = set(MATRIX_SCENARIOS + ["inherited"])
        for title, scens, text in SECTIONS:
            out += self.section(title, text, scens.split())
            claimed.update(scens.split())
        others = []
        for c in self.cells:
            if c.scenario not in claimed and c.scenario not in others:
                others.append(c.scenario)
        if others:
            out += self.section("Other measurements",
                                "Cells of scenarios this report has no section for.", others)
        return out

    def section(self, title, text, scenarios):
        # A section's cells may come from other namespaces than the matrix's
        # (a bind mount needs ipc+mnt): each (mechanism, scenario) keeps the
        # class of its first cell.
        present, mechs, cls, entries = set(), [], {}, set()
        for c in self.cells:
            if c.scenario not in scenarios:
                continue
            present.add(c.scenario)
            if c.mechanism not in mechs:
                mechs.append(c.mechanism)
            cls.setdefault((c.mechanism, c.scenario), ns_class(c.namespaces))
            entries.add(c.entry)
        if not mechs:
            return []
        # One entry point for the whole section: not repeated in every cell.
        only = next(iter(entries)) if len(entries) == 1 else ""
        cols = [s for s in scenarios if s in present]
        rows = [[mech_label(m)] + [self.summary((m, s, cls[m, s]), only) if (m, s) in cls else "—"
                                   for s in cols] for m in mechs]
        return ["", "## " + title, "", md(text), ""] + table(["Mechanism"] + [md(s) for s in cols], rows)

    @staticmethod
    def cell_title(c):
        return "%s, %s, entry %s, namespaces %s" % (mech_label(c.mechanism), scen_label(c.scenario),
                                                    md(c.entry), md(c.namespaces))

    def deviations(self):
        out = ["", "## Deviations", ""]
        if not self.cells:
            return out + ["None: no cell was measured."]
        if not self.count["fail"]:
            return out + ["None: every measured cell matched its fixtures."]
        out += ["Cells whose observation contradicts their fixtures:", ""]
        for c in self.cells:
            if c.verdict != "fail":
                continue
            out += ["- **%s**" % self.cell_title(c),
                    "  - expected: **%s**, because: %s" % (expected_word(c.expected), md(c.why)),
                    "  - observed: **%s**" % observed_word(c.observed),
                    "  - detail: " + (md(c.detail) if c.detail else "(none recorded)")]
        return out

    def broken(self):
        """Measurements that broke (LTP's TBROK): no valid observation, so
        neither a deviation of the kernel nor a skip."""
        out = ["", "## Broken", ""]
        if not self.count["broken"]:
            return out + ["None: every cell was measured or skipped with a reason."]
        out += ["Cells that could not be measured for a reason that is not the kernel's"
                " (a probe or its control failed):", ""]
        return out + ["- **%s**: %s" % (self.cell_title(c), md(c.detail) if c.detail else "(no detail recorded)")
                      for c in self.cells if c.verdict == "broken"]

    def skips(self):
        out = ["", "## Skips", ""]
        if not self.count["skip"]:
            return out + ["None."]
        return out + ["- %s: %s" % (self.cell_title(c), md(c.detail) if c.detail else "(no reason recorded)")
                      for c in self.cells if c.verdict == "skip"]

    def notes(self):
        out = ["", "## Run notes", ""]
        if not self.meta.notes:
            return out + ["None."]
        return out + ["- " + md(n) for n in self.meta.notes]

    # ---- junit.xml ----

    def junit(self):
        m = self.meta
        suite = ET.Element("testsuite", {
            "name": "ipcns-tests", "tests": str(len(self.cells)),
            "failures": str(self.count["fail"]), "errors": str(self.count["broken"]),
            "skipped": str(self.count["skip"]), "time": json_number(m.raw("duration")) or "0",
            "timestamp": xml_text(m["date"]), "hostname": xml_text(m["kernel"])})
        props = ET.SubElement(suite, "properties")
        for key in ("kernel", "arch", "distro", "privilege", "util-linux", "bats", "cc", "run_id"):
            ET.SubElement(props, "property", {"name": key, "value": xml_text(m[key])})
        for name, value in list(m.config.items()) + list(m.sysctls.items()):
            ET.SubElement(props, "property", {"name": xml_text(name), "value": xml_text(value)})
        for c in self.cells:
            case = ET.SubElement(suite, "testcase", {
                "classname": xml_text(c.mechanism),
                "name": xml_text("%s %s %s" % (c.scenario, c.entry, c.namespaces)),
                "time": "0"})
            if c.verdict == "fail":
                failure = ET.SubElement(case, "failure", {
                    "message": xml_text("expected %s, observed %s" % (expected_word(c.expected),
                                                                     observed_word(c.observed))),
                    "type": "deviation"})
                failure.text = xml_text("%s\nexpected because: %s" % (c.detail or "(none recorded)", c.why))
            elif c.verdict == "skip":
                ET.SubElement(case, "skipped", {"message": xml_text(c.detail or "(no reason recorded)")})
            elif c.verdict == "broken":
                error = ET.SubElement(case, "error", {
                    "message": xml_text("broken: no valid observation"), "type": "broken"})
                error.text = xml_text(c.detail or "(no detail recorded)")
            else:
                ET.SubElement(case, "system-out").text = xml_text(
                    "observed %s: %s" % (c.observed, c.detail))
        root = ET.Element("testsuites", {
            "name": "ipcns-tests", "tests": suite.get("tests"), "failures": suite.get("failures"),
            "errors": suite.get("errors"), "skipped": suite.get("skipped"), "time": suite.get("time")})
        root.append(suite)
        if hasattr(ET, "indent"):  # Python 3.9
            ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    # ---- results.ktap ----

    def ktap(self):
        """KTAP version 1 (the kernel's Documentation/dev-tools/ktap.rst): a
        subtest a mechanism, in the order measured, a result line a cell in
        it; a failure's detail as a diagnostic line before its result."""
        mechs = []
        for c in self.cells:
            if c.mechanism not in mechs:
                mechs.append(c.mechanism)
        out = ["KTAP version 1", "1..%d" % len(mechs)]
        ind = "    "
        for k, mech in enumerate(mechs, 1):
            cells = [c for c in self.cells if c.mechanism == mech]
            out += [ind + "KTAP version 1", ind + "1..%d" % len(cells)]
            for j, c in enumerate(cells, 1):
                name = ktap_name("%s %s %s" % (c.scenario, c.entry, c.namespaces))
                if c.verdict == "pass":
                    out.append(ind + "ok %d %s" % (j, name))
                elif c.verdict == "skip":
                    out.append(ind + "ok %d %s # SKIP %s" % (j, name, one_line(c.detail) or "no reason recorded"))
                elif c.verdict == "broken":
                    out.append(ind + one_line("# broken: %s" % (c.detail or "no detail")))
                    out.append(ind + "not ok %d %s" % (j, name))
                else:
                    out.append(ind + one_line("# expected %s, observed %s: %s" % (
                        expected_word(c.expected), observed_word(c.observed), c.detail or "no detail")))
                    out.append(ind + "not ok %d %s" % (j, name))
            if any(c.verdict in ("fail", "broken") for c in cells):
                out.append("not ok %d %s" % (k, ktap_name(mech)))
            elif all(c.verdict == "skip" for c in cells):
                out.append("ok %d %s # SKIP every cell skipped" % (k, ktap_name(mech)))
            else:
                out.append("ok %d %s" % (k, ktap_name(mech)))
        return "\n".join(out) + "\n"


def one_line(s):
    """S on one line: control characters (a newline...) as spaces."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", s).strip()


def ktap_name(s):
    """A KTAP description: one line, no '#' (which starts the directive)."""
    return one_line(s).replace("#", "_") or "-"


# XML 1.0 allows no other control characters, not even escaped.
XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(s):
    return XML_BAD.sub(lambda m: "\\x%02x" % ord(m.group()), s)


def render(args):
    if len(args) != 3:
        usage_error("render wants 3 arguments (CELLS META OUTDIR), got %d" % len(args))
    cells_path, meta_path, outdir = args
    if not outdir:
        usage_error("OUTDIR is empty")
    cells = load_cells(cells_path)
    meta = Meta(meta_path)
    report = Report(cells, meta)
    files = [("results.json", report.json()), ("RESULTS.md", report.markdown()),
             ("junit.xml", report.junit()), ("results.ktap", report.ktap())]
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as e:
        raise Failure("could not write the record: cannot make the directory '%s': %s"
                      % (outdir, e.strerror))
    write_files(outdir, files)


# ---- compare ----------------------------------------------------------------

def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def is_word(v):
    return isinstance(v, str) and v != ""


class Run:
    """One results.json: its facts and cells."""

    def __init__(self, path):
        self.path = path
        text = read_text(path, "the record")
        if not text.strip():
            raise Failure("%s: empty file" % path)
        try:
            top = json.loads(text, parse_constant=reject_constant)
        except json.JSONDecodeError as e:
            raise Failure("%s: line %d: not JSON: %s" % (path, e.lineno, e.msg))
        except ValueError as e:
            raise Failure("%s: not JSON: %s" % (path, e))
        if not isinstance(top, dict):
            raise Failure("%s: not a JSON object" % path)
        schema = top.get("schema")
        if type(schema) is not int or schema not in (1, 2):
            raise Failure('%s: not a results.json of schema 1 or 2 (no "schema": 1 or 2 in its top object)'
                          % path)
        if not isinstance(top.get("cells"), list):
            raise Failure('%s: no "cells" array' % path)
        tools = top.get("tools") if isinstance(top.get("tools"), dict) else {}
        self.meta = {k: top[k] if is_word(top.get(k)) else "unknown"
                     for k in ("kernel", "distro", "privilege", "date", "arch")}
        self.meta.update({k: tools[k] if is_word(tools.get(k)) else "unknown"
                          for k in ("util-linux", "bats", "cc")})
        self.cells = []
        self.count = {v: 0 for v in VERDICTS}
        for n, cell in enumerate(top["cells"], 1):
            def bad(why):
                raise Failure("%s: cell %d: %s" % (path, n, why))
            if not isinstance(cell, dict):
                bad("not an object")
            for k in ("mechanism", "scenario", "entry", "namespaces", "verdict"):
                if not is_word(cell.get(k)):
                    bad('a cell without "%s"' % k)
            if cell["verdict"] not in VERDICTS:
                bad('a cell whose verdict is "%s", not pass, fail, skip or broken' % cell["verdict"])
            if "observed" not in cell or not (cell["observed"] is None or isinstance(cell["observed"], str)):
                bad('a cell whose "observed" is neither a string nor null')
            self.cells.append(cell)
            self.count[cell["verdict"]] += 1
        self.literal = {(c["mechanism"], c["scenario"], c["entry"], c["namespaces"]) for c in self.cells}

    def aligned_ns(self, c):
        """A rootless run measures in IPC namespaces owned by a new user
        namespace: its ipc+user cell is the root run's ipc cell. +user is
        dropped from ipc+user... unless the same run also has that cell
        without it (a root run's own user-namespace experiments, such as
        rootless-write, keep both rows apart then; alone, they align with
        the rootless run's)."""
        ns = c["namespaces"]
        if not ns.startswith("ipc+user"):
            return ns
        alt = "ipc" + ns[8:]
        if (c["mechanism"], c["scenario"], c["entry"], alt) in self.literal:
            return ns
        return alt


def cmd(s):
    """TEXT in a Markdown table of the comparison."""
    out = []
    for c in s:
        if c == "<":
            out.append("&lt;")
        elif c in "\n\t\r\b\f":
            out.append(" ")
        elif c in "\\`*_[]|&~>":
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def shown(c):
    if c["verdict"] == "skip":
        return "skip"
    if c["verdict"] == "broken":
        return "broken ✗"
    obs = cmd(c["observed"]) if c["observed"] else "no observation"
    return obs + " ✗" if c["verdict"] == "fail" else obs


def comparison(runs):
    rows = {}  # (mechanism, scenario, entry, aligned namespaces) -> row
    for r, run in enumerate(runs):
        for c in run.cells:
            key = (c["mechanism"], c["scenario"], c["entry"], run.aligned_ns(c))
            row = rows.setdefault(key, {"ns": "", "val": {}})
            if (" %s " % c["namespaces"]) not in (" %s " % row["ns"]):
                row["ns"] = (row["ns"] + " " if row["ns"] else "") + c["namespaces"]
            # Two cells of one run in one row: both are shown.
            v = shown(c)
            row["val"][r] = row["val"][r] + " / " + v if r in row["val"] else v

    def value(row, r):
        return row["val"].get(r, "—")

    def label(key, row):
        return " | ".join(cmd(x) for x in (key[0], key[1], key[2], row["ns"].replace(" ", ", ")))

    same = {key: all(value(row, r) == value(row, 0) for r in range(len(runs))) for key, row in rows.items()}
    ndiff = sum(1 for key in rows if not same[key])
    n = len(runs)
    out = ["# IPC namespace isolation: %d run%s compared" % (n, "" if n == 1 else "s"), "",
           "| run | kernel | arch | distro | privilege | date | util-linux | bats | cc | cells | pass | fail | skip | file |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r, run in enumerate(runs, 1):
        m = run.meta
        out.append("| #%d | %s | %d | %d | %d | %d | %s |" % (
            r, " | ".join(cmd(m[k]) for k in ("kernel", "arch", "distro", "privilege", "date",
                                              "util-linux", "bats", "cc")),
            len(run.cells), run.count["pass"], run.count["fail"], run.count["skip"], cmd(run.path)))
    out += ["",
            "A row is a cell, a column a run. Each shows what that run observed; ✗: the",
            "run's verdict was fail (the observation contradicts that run's",
            "fixtures); skip: the run could not measure it; —: the run has no",
            "such cell. A rootless run measures in IPC namespaces owned by a new user",
            "namespace: its ipc+user, ipc+user+mnt and ipc+user+net cells share the rows",
            "of ipc, ipc+mnt and ipc+net (the namespaces column lists what each run used).",
            ""]
    head = "| mechanism | scenario | entry | namespaces |"
    rule = "|---|---|---|---|"
    for r, run in enumerate(runs, 1):
        head += " #%d %s |" % (r, "<br>".join(cmd(run.meta[k]) for k in ("kernel", "distro", "privilege", "date")))
        rule += "---|"
    out += ["## Rows that differ between runs: %d" % ndiff, ""]
    if ndiff == 0:
        out.append("None: every row is the same in all runs.")
    else:
        out += [head, rule]
        out += ["| %s |%s" % (label(key, row), "".join(" %s |" % value(row, r) for r in range(n)))
                for key, row in rows.items() if not same[key]]
    nsame = len(rows) - ndiff
    out += ["", "## Rows identical in all runs: %d" % nsame, ""]
    if nsame == 0:
        out.append("None.")
        return "\n".join(out) + "\n"
    failed = sum(1 for key, row in rows.items() if same[key] and value(row, 0).endswith("✗"))
    out += ["%d row%s the same in every run%s" % (nsame, " is" if nsame == 1 else "s are",
                                                 "; %d of them ✗ in every run." % failed if failed else "."),
            "",
            "<details><summary>The %d identical row%s</summary>" % (nsame, "" if nsame == 1 else "s"),
            "",
            "| mechanism | scenario | entry | namespaces | in every run |",
            "|---|---|---|---|---|"]
    out += ["| %s | %s |" % (label(key, row), value(row, 0)) for key, row in rows.items() if same[key]]
    out += ["", "</details>"]
    return "\n".join(out) + "\n"


def compare(args):
    output, files = None, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--compare":  # run-tests.sh passes its own arguments on
            i += 1
        elif a == "--output":
            if i + 1 >= len(args) or args[i + 1] == "":
                usage_error("--output needs a file")
            if output is not None:
                usage_error("--output given twice")
            output = args[i + 1]
            i += 2
        elif a in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        elif a == "--":
            files += args[i + 1:]
            break
        elif a.startswith("-") and a != "-":
            usage_error("unknown argument '%s'" % a)
        else:
            files.append(a)
            i += 1
    if not files:
        usage_error("no results.json to compare")
    if output is not None and os.path.isdir(output):
        raise Failure("'%s' is a directory" % output)
    text = comparison([Run(f) for f in files])
    if output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as e:
            raise Failure("cannot write to standard output: %s" % e.strerror)
        return
    outdir = os.path.dirname(output) or "."
    if not os.path.isdir(outdir):
        raise Failure("cannot write in '%s': no such directory" % outdir)
    write_files(outdir, [(os.path.basename(output), text)])


def main(argv):
    global PROG
    sub = argv[0] if argv else ""
    try:
        if sub in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        if sub == "render":
            PROG = "record.py render"
            render(argv[1:])
        elif sub == "compare":
            PROG = "record.py compare"
            compare(argv[1:])
        else:
            usage_error("unknown subcommand '%s' (render or compare)" % sub if sub else "no subcommand")
    except UsageError as e:
        sys.stderr.write("%s: %s\n%s" % (PROG, e, USAGE))
        return 2
    except Failure as e:
        sys.stderr.write("%s: %s\n" % (PROG, e))
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
