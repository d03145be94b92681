#!/usr/bin/env python3
"""Validates records against tools/results.schema.json with python3-jsonschema.

  schema_check.py RESULTS.json...   exit 0 if every file is valid, 1 if one
                                    is not (naming it and where), 2 usage,
                                    77 when jsonschema is not installed.

Beyond what JSON Schema can say: the summary counts the cells' verdicts.
"""

import json
import os
import sys

try:
    import jsonschema
except ImportError:
    sys.stderr.write("schema_check.py: python3-jsonschema is not installed\n")
    sys.exit(77)

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "results.schema.json")


def main(argv):
    if not argv:
        sys.stderr.write("usage: schema_check.py RESULTS.json...\n")
        return 2
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
        for e in errors:
            print("%s: %s: %s" % (path, "/".join(str(p) for p in e.absolute_path) or "(top)", e.message))
        if not errors:
            verdicts = [c["verdict"] for c in record["cells"]]
            # "broken" is schema 2's; schema 1 records have no such key
            counts = {v: verdicts.count(v) for v in ("pass", "fail", "skip", "broken")
                      if v in record["summary"] or verdicts.count(v)}
            if counts != record["summary"]:
                errors = ["summary %s, cells %s" % (record["summary"], counts)]
                print("%s: summary: %s" % (path, errors[0]))
        if errors:
            bad = 1
        else:
            print("%s: valid, schema %d, %d cells" % (path, record["schema"], len(record["cells"])))
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
