#!/usr/bin/env python3
"""A `--domain` box around the centre of a VNN-LIB property's input box.

Writes `{"box": [[lo, hi], ...]}` (docs/format.md, "Overriding the domain"): every input
`centre +- eps`, intersected with the property's own box, the bounds as exact fractions. The
centre is the midpoint of the property's bounds on each input `X_i`, exactly.

Usage: scripts/vnnlib_box_domain.py PROPERTY.vnnlib EPS > domain.json
e.g. the 4-region box of docs/performance.md around VNN-COMP 2021 verivital's image:
    scripts/vnnlib_box_domain.py avgpool_prop_0_0.02.vnnlib 0.0001 > avg_0001.json
    relu-regions count Convnet_avgpool.onnx --domain avg_0001.json --threads 1
"""

import json
import re
import sys
from fractions import Fraction


def input_box(vnnlib_text):
    """The property's bounds on each input X_i, exactly: a list of (lo, hi)."""
    lo, hi = {}, {}
    for op, i, v in re.findall(r"\(assert \((<=|>=) X_(\d+) ([-+0-9.eE]+)\)\)", vnnlib_text):
        (hi if op == "<=" else lo)[int(i)] = Fraction(v)
    if sorted(lo) != list(range(len(lo))) or sorted(hi) != sorted(lo):
        fail("the property does not bound every input X_0 .. X_n-1 both ways")
    return [(lo[i], hi[i]) for i in range(len(lo))]


def text(x):
    """An exact fraction as the network files write it: an integer or p/q."""
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def fail(message):
    """Bad input: the message on stderr, exit 2."""
    print(f"vnnlib_box_domain: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    try:
        eps = Fraction(sys.argv[2])
    except ValueError:
        fail(f"EPS {sys.argv[2]!r} is not a number (a decimal or p/q)")
    if eps <= 0:
        fail("EPS must be positive")
    try:
        with open(sys.argv[1]) as f:
            property_text = f.read()
    except OSError as e:
        fail(f"{sys.argv[1]}: {e.strerror}")
    box = []
    for lo, hi in input_box(property_text):
        c = (lo + hi) / 2
        box.append([text(max(lo, c - eps)), text(min(hi, c + eps))])
    json.dump({"box": box}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
