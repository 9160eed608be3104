#!/usr/bin/env python3
"""ACAS Xu VNN-LIB instances run side by side: relu-regions and nnenum, interleaved per instance.

nnenum (https://github.com/stanleybak/nnenum) is not part of this project: install it yourself
(a clone, and a venv with its requirements) and point this script at it.

usage: scripts/vnnlib_side_by_side.py DATA_DIR NNENUM_DIR NNENUM_PYTHON [PROPS...]
DATA_DIR holds ACASXU_run2a_*_batch_2000.nnet, onnx/ACASXU_run2a_*_batch_2000.onnx and
vnnlib/prop_N.vnnlib. Prints one tab-separated line per instance: our answer and wall seconds
(--threads 2), nnenum's answer, wall seconds (2 processes, its default here) and its own reported
runtime (which leaves out its start-up and model loading).
"""
import os
import re
import subprocess
import sys
import time

data, nnenum_dir, nnenum_python = sys.argv[1:4]
props = sys.argv[4:] or ["3", "4"]
ours = os.environ.get("RELU_REGIONS_BIN", "target/release/relu-regions")
env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=os.path.join(nnenum_dir, "src"))
print("network\tproperty\tours\tours_s\tnnenum\tnnenum_wall_s\tnnenum_runtime_s", flush=True)
for p in props:
    for a in range(1, 6):
        for b in range(1, 10):
            net = f"{a}_{b}"
            prop = f"{data}/vnnlib/prop_{p}.vnnlib"
            t = time.time()
            r = subprocess.run([ours, "vnnlib", f"{data}/ACASXU_run2a_{net}_batch_2000.nnet", prop,
                                "--coords", "normalized", "--threads", "2", "--time-limit", "120"],
                               capture_output=True, text=True)
            ours_s = time.time() - t
            answer = r.stdout.split("\n")[0]
            t = time.time()
            try:
                out = subprocess.run([nnenum_python, "-m", "nnenum.nnenum", f"{data}/onnx/ACASXU_run2a_{net}_batch_2000.onnx",
                                      prop, "120"], capture_output=True, text=True, env=env, cwd=nnenum_dir,
                                     timeout=300).stdout
            except subprocess.TimeoutExpired:
                out = "timeout"
            nn_s = time.time() - t
            if "UNSAFE" in out:
                theirs = "sat"
            elif "SAFE" in out or "Proven safe before enumerate" in out:
                theirs = "unsat"
            else:
                theirs = "unknown"
            m = re.search(r"Runtime: ([0-9.]+)", out)
            runtime = m.group(1) if m else "0"
            print(f"{net}\t{p}\t{answer}\t{ours_s:.2f}\t{theirs}\t{nn_s:.2f}\t{runtime}", flush=True)
