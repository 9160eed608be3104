#!/usr/bin/env python3
"""ACAS Xu counting side by side with nnenum, interleaved, one thread each.

For each width and repetition, runs in turn: `relu-regions count NET.nnet --coords normalized
--box B --threads 1 --no-graph`, the same with the graph, and nnenum's full enumeration of the
same box on the ONNX network (scripts/nnenum_count.py, one process), so that the load of a shared
machine falls on all alike. The box is centred at (0, 0.1, -0.1, 0.2, -0.2) (normalized inputs)
with the given width in every coordinate, as in docs/performance.md.

nnenum is not part of this project: clone it and make a venv yourself (see nnenum_count.py).

usage: nnenum_count_side_by_side.py DATA_DIR NNENUM_DIR NNENUM_PYTHON [--net 1_1] [--reps N]
       [--widths 0.05,0.1] [--no-graph-only]
With RELU_REGIONS_BEFORE=OTHER_BINARY in the environment, each repetition also runs that binary
(`--no-graph`) just before ours, so that a before/after comparison is interleaved as well.
Prints one tab-separated line per run: width, tool, count, wall seconds, CPU seconds (user+sys of
the process), and for nnenum its own enumeration time (no start-up or model loading).
"""
import argparse
import os
import re
import subprocess
import time

CENTRE = [0.0, 0.1, -0.1, 0.2, -0.2]


def box(width):
    return ",".join(f"{c - width / 2:.6g}:{c + width / 2:.6g}" for c in CENTRE)


def run(cmd, env=None):
    """Runs cmd, returns (stdout, wall seconds, user+sys CPU seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} exited with {proc.returncode}")
    return out, wall, usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("nnenum_dir")
    ap.add_argument("nnenum_python")
    ap.add_argument("--net", default="1_1")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--widths", default="0.05,0.1")
    ap.add_argument("--no-graph-only", action="store_true")
    args = ap.parse_args()
    ours = os.environ.get("RELU_REGIONS_BIN", "target/release/relu-regions")
    before = os.environ.get("RELU_REGIONS_BEFORE")
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.path.join(args.nnenum_dir, "src"))
    nnet = f"{args.data}/ACASXU_run2a_{args.net}_batch_2000.nnet"
    onnx = f"{args.data}/onnx/ACASXU_run2a_{args.net}_batch_2000.onnx"
    print("width\ttool\tcount\twall_s\tcpu_s\tnnenum_enum_s", flush=True)
    for width in [float(w) for w in args.widths.split(",")]:
        b = box(width)
        for _ in range(args.reps):
            variants = [("ours --no-graph", ["--no-graph"])]
            if before:
                variants.insert(0, ("before --no-graph", ["--no-graph"]))
            if not args.no_graph_only:
                variants.append(("ours graph", []))
            for name, extra in variants:
                binary = before if name.startswith("before") else ours
                out, wall, cpu = run([binary, "count", nnet, "--coords", "normalized", "--box", b,
                                      "--threads", "1", "--json"] + extra)
                count = re.search(r'"regions":\s*(\d+)', out).group(1)
                print(f"{width}\t{name}\t{count}\t{wall:.2f}\t{cpu:.2f}\t", flush=True)
            out, wall, cpu = run([args.nnenum_python, os.path.join(here, "nnenum_count.py"), onnx, b, "1"], env)
            m = re.search(r"stars (\d+) seconds ([0-9.]+)", out)
            print(f"{width}\tnnenum\t{m.group(1)}\t{wall:.2f}\t{cpu:.2f}\t{m.group(2)}", flush=True)


if __name__ == "__main__":
    main()
