#!/usr/bin/env python3
"""Compares two render_corpus folders: per section, the same text, or an opt list refused only on one
side, or changed code (listed). Usage: compare.py OLD_DIR NEW_DIR"""
import collections
import os
import re
import sys


def sections(path):
    out = collections.OrderedDict()
    key = None
    for line in open(path):
        if line.startswith("=== "):
            key = re.sub(r" (RENDER-)?ERROR .*", "", line.strip())
            out.setdefault(key, [])
        out[key].append(line)
    return out


def main(old, new):
    stats = collections.Counter()
    changed = []
    for name in sorted(os.listdir(old)):
        a, b = sections(os.path.join(old, name)), sections(os.path.join(new, name))
        for key, lines in a.items():
            other = b.get(key)
            if other is None:
                stats["missing"] += 1
            elif other == lines:
                stats["same"] += 1
            elif "ERROR" in other[0] and "ERROR" not in lines[0]:
                stats["now refused"] += 1
            elif "ERROR" in lines[0] and "ERROR" not in other[0]:
                stats["now accepted"] += 1
            else:
                stats["changed"] += 1
                changed.append(f"{name}: {key}")
    print(dict(stats))
    for c in changed[:40]:
        print("changed", c, flush=True)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
