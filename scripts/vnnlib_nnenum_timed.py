#!/usr/bin/env python3
"""nnenum's command line, unchanged, with its enumeration timed from outside.

usage: NNENUM_PYTHON scripts/vnnlib_nnenum_timed.py ONNX VNNLIB [TIMEOUT OUTFILE PROCESSES]
(run with nnenum's `src` on PYTHONPATH, as `python -m nnenum.nnenum` would be)

Runs `nnenum.nnenum.main()` with the same arguments, after wrapping the module's
`enumerate_network` (one call per box of the property) in a `time.perf_counter()` pair, and
prints `Harness enumerate_network seconds: S` (their sum, to the microsecond) after nnenum's own
output. nnenum prints its `Runtime:` only for a run that enumerates (rounded to 0.1 s), not for
one proved before enumerating ("Proven safe before enumerate"); this time is there for both. It
leaves out, like nnenum's `Runtime:`, the interpreter's start, the imports and the loading of
the ONNX and VNN-LIB files. nnenum's code is not changed.
"""
import sys
import time

import nnenum.nnenum as cli

_inner = cli.enumerate_network
_total = [0.0]


def _timed(*args, **kwargs):
    start = time.perf_counter()
    try:
        return _inner(*args, **kwargs)
    finally:
        _total[0] += time.perf_counter() - start


cli.enumerate_network = _timed
sys.argv = ["nnenum.nnenum"] + sys.argv[1:]
try:
    cli.main()
finally:
    print(f"Harness enumerate_network seconds: {_total[0]:.6f}", flush=True)
