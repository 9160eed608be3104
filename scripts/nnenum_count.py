#!/usr/bin/env python3
"""Counts the leaf stars of nnenum's full enumeration of a network on a box (the peer figure for
`relu-regions count --coords normalized --box ...` on ACAS Xu).

nnenum (https://github.com/stanleybak/nnenum, GPL-3.0) is not part of this project: clone it and
make a venv with its requirements yourself, then run this script with that venv's python and
PYTHONPATH=NNENUM_DIR/src. Settings for a full enumeration: one process, exact branching
(`BRANCH_EXACT`: every star is split until every neuron is fixed, no overapproximation, no
specification, so nothing is pruned), progress output off. The box is in the ONNX network's
input coordinates (for the ACAS Xu ONNX files: the normalized inputs).

usage: nnenum_count.py NET.onnx BOX [PROCESSES]
BOX is relu-regions' --box syntax, "lo:hi,lo:hi,...". Prints one line: stars, the seconds of the
enumeration alone (nnenum's own clock, no start-up or model loading) and the process CPU seconds
(user+sys of this process and its children, model loading included).
"""
import os
import resource
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from nnenum.enumerate import enumerate_network  # noqa: E402
from nnenum.onnx_network import load_onnx_network_optimized  # noqa: E402
from nnenum.settings import Settings  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    onnx_path, box_text = sys.argv[1], sys.argv[2]
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    box = np.array([[float(x) for x in part.split(":")] for part in box_text.split(",")], dtype=float)

    Settings.NUM_PROCESSES = processes
    Settings.BRANCH_MODE = Settings.BRANCH_EXACT
    Settings.TIMING_STATS = False
    Settings.PRINT_OUTPUT = False
    Settings.PRINT_PROGRESS = False
    Settings.TIMEOUT = np.inf

    network = load_onnx_network_optimized(onnx_path)
    start = time.perf_counter()
    result = enumerate_network(box, network)
    seconds = time.perf_counter() - start
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    print(f"stars {result.total_stars} seconds {seconds:.2f} cpu {cpu:.2f}", flush=True)


if __name__ == "__main__":
    main()
