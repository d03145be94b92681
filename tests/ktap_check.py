#!/usr/bin/env python3
"""A strict KTAP version 1 checker (the kernel's
Documentation/dev-tools/ktap.rst), for the record's results.ktap.

  ktap_check.py FILE   exit 0 and a summary line if FILE is well-formed KTAP,
                       exit 1 and "FILE: line N: why" if it is not, 2 usage.

Stricter than the specification, which tolerates much for the sake of kernel
logs: what tools/record.py writes has no excuse. Every block (the whole file
and each subtest) starts with "KTAP version 1", then its plan "1..N", at its
own indentation (4 spaces a level, as KUnit writes it); then N tests numbered
1 to N, each a result line "ok|not ok NUMBER DESCRIPTION[ # DIRECTIVE...]" or
a subtest (a block indented one level deeper) followed by its result line. A
description is one line, not empty, without '#'. Diagnostic lines ("# ...")
may come between them, at the block's indentation. Nothing else: no unknown
lines, blank lines, tabs, trailing spaces or text after the last test. A
parent that passes may not have a failed subtest.
"""

import re
import sys

INDENT = "    "
RESULT = re.compile(r"(ok|not ok) ([1-9][0-9]*) ([^#]*[^# ])(?: # (.*))?\Z")
DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT", "ERROR")


class Malformed(Exception):
    pass


class Parser:
    def __init__(self, lines):
        self.lines = lines
        self.i = 0
        self.counts = {"ok": 0, "not ok": 0, "skip": 0}

    def fail(self, why, lineno=None):
        raise Malformed("line %d: %s" % (lineno or self.i + 1, why))

    def peek(self):
        return self.lines[self.i] if self.i < len(self.lines) else None

    def take(self, indent, what):
        line = self.peek()
        if line is None:
            self.fail("the file ends where %s belongs" % what)
        if not line.startswith(indent) or line[len(indent):].startswith(" "):
            self.fail("%s wanted at an indentation of %d spaces: %r" % (what, len(indent), line))
        self.i += 1
        return line[len(indent):]

    def skip_diagnostics(self, indent):
        while self.peek() is not None and self.peek().startswith(indent + "#"):
            self.i += 1

    def block(self, indent):
        """A version line, a plan, its tests; returns whether any failed."""
        if self.take(indent, "a version line") != "KTAP version 1":
            self.fail('not "KTAP version 1"', self.i)
        self.skip_diagnostics(indent)
        plan = self.take(indent, "the plan")
        m = re.match(r"1\.\.(0|[1-9][0-9]*)\Z", plan)
        if not m:
            self.fail("not a plan (1..N): %r" % plan, self.i)
        failed = False
        for number in range(1, int(m.group(1)) + 1):
            self.skip_diagnostics(indent)
            line = self.peek()
            sub_failed = None
            if line is not None and line.startswith(indent + INDENT + "K"):
                sub_failed = self.block(indent + INDENT)
                self.skip_diagnostics(indent)
            text = self.take(indent, "the result line of test %d" % number)
            r = RESULT.match(text)
            if not r:
                self.fail("not a result line (ok|not ok N DESCRIPTION[ # DIRECTIVE]): %r" % text, self.i)
            if int(r.group(2)) != number:
                self.fail("test %s where test %d belongs" % (r.group(2), number), self.i)
            directive = (r.group(4) or "").split(" ")[0]
            if r.group(4) is not None and directive not in DIRECTIVES:
                self.fail("unknown directive %r" % directive, self.i)
            if sub_failed and r.group(1) == "ok":
                self.fail("test %d passes with a failed subtest" % number, self.i)
            if directive == "SKIP":
                self.counts["skip"] += 1
            else:
                self.counts[r.group(1)] += 1
            failed = failed or (r.group(1) == "not ok" and directive != "SKIP")
        self.skip_diagnostics(indent)
        return failed

    def parse(self):
        for n, line in enumerate(self.lines, 1):
            if line == "" or line != line.rstrip() or "\t" in line:
                self.fail("a blank line, a tab or trailing white space", n)
        self.block("")
        if self.i != len(self.lines):
            self.fail("text after the last test: %r" % self.lines[self.i])
        return self.counts


def check(text):
    """The counts of a well-formed KTAP text; Malformed otherwise."""
    if not text.endswith("\n"):
        raise Malformed("line %d: no newline at the end" % (text.count("\n") + 1))
    return Parser(text[:-1].split("\n")).parse()


def main(argv):
    if len(argv) != 1:
        sys.stderr.write("usage: ktap_check.py FILE\n")
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            counts = check(f.read())
    except (OSError, UnicodeDecodeError) as e:
        sys.stderr.write("ktap_check.py: %s: %s\n" % (argv[0], e))
        return 2
    except Malformed as e:
        sys.stderr.write("%s: %s\n" % (argv[0], e))
        return 1
    print("%s: KTAP version 1: %d ok, %d not ok, %d skipped" % (
        argv[0], counts["ok"], counts["not ok"], counts["skip"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
