#!/usr/bin/env python3
"""ACAS Xu VNN-LIB instances run side by side: relu-regions and nnenum, interleaved per instance.

nnenum (https://github.com/stanleybak/nnenum) is not part of this project: install it yourself
(a clone, and a venv with its requirements) and point this script at it.

usage: scripts/vnnlib_side_by_side.py DATA_DIR NNENUM_DIR NNENUM_PYTHON [PROPS...]
       [--threads N] [--limit S] [--nets 1_1,1_2,...] [--proofs DIR] [--check-limit S]
       [--no-nnenum]
DATA_DIR holds ACASXU_run2a_*_batch_2000.nnet, onnx/ACASXU_run2a_*_batch_2000.onnx and
vnnlib/prop_N.vnnlib. Both tools get the same number of threads (`--threads`, default 1: ours
`--threads N`, nnenum N processes) and the same time limit (`--limit`, default 120 s). With
`--proofs DIR` every unsat answer of ours writes its certificate (`vnnlib --proof`) there and
`check NET PROOF --property PROP` proves it (same thread count); its verdict and time are listed.
`--check-limit S` gives the check its own `--time-limit` (default: none; a stopped check is
`stopped`). `--no-nnenum` runs ours and the checks only (a first pass to find the hard instances).

Prints one tab-separated line per instance: our answer, wall and CPU (user+sys) seconds and our own
reported `seconds` (`--json`: from the start of the decision, after reading the files); nnenum's
answer, wall and CPU seconds and its own reported runtime (which leaves out its start-up and model
loading; rounded to 0.1 s, and 0 where nnenum proves the property before enumerating, for which it
prints no runtime); the check's result (`ok`, `FAIL`, `stopped` or `-`), wall and CPU seconds, and
the proof's size in bytes; last, nnenum's `enumerate_network` timed to the microsecond from
outside (`scripts/vnnlib_nnenum_timed.py`, which runs nnenum's command line unchanged).
"""
import argparse
import json
import os
import re
import subprocess
import time


def run(cmd, env=None, cwd=None, timeout=None):
    """Runs cmd; returns (stdout, exit code, wall seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=cwd)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        out = "timeout"
    wall = time.perf_counter() - start
    # communicate reaped the child: its rusage is in this process's RUSAGE_CHILDREN, read as a
    # difference around the run
    return out, proc.returncode, wall


def children_cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, **kw):
    before = children_cpu()
    out, rc, wall = run(cmd, **kw)
    return out, rc, wall, children_cpu() - before


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("nnenum_dir")
    ap.add_argument("nnenum_python")
    ap.add_argument("props", nargs="*", default=["3", "4"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=float, default=120.0)
    ap.add_argument("--nets", default=None)
    ap.add_argument("--proofs", default=None)
    ap.add_argument("--check-limit", type=float, default=None)
    ap.add_argument("--no-nnenum", action="store_true")
    args = ap.parse_args()
    ours = os.environ.get("RELU_REGIONS_BIN", "target/release/relu-regions")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.path.join(args.nnenum_dir, "src"))
    nets = args.nets.split(",") if args.nets else [f"{a}_{b}" for a in range(1, 6) for b in range(1, 10)]
    if args.proofs:
        os.makedirs(args.proofs, exist_ok=True)
    print("network\tproperty\tours\tours_s\tours_cpu_s\tours_runtime_s\tnnenum\tnnenum_wall_s\tnnenum_cpu_s\tnnenum_runtime_s"
          "\tcheck\tcheck_s\tcheck_cpu_s\tproof_bytes\tnnenum_enumerate_s", flush=True)
    threads = str(args.threads)
    timed_nnenum = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vnnlib_nnenum_timed.py")
    for p in args.props:
        prop = f"{args.data}/vnnlib/prop_{p}.vnnlib"
        for net in nets:
            nnet = f"{args.data}/ACASXU_run2a_{net}_batch_2000.nnet"
            cmd = [ours, "vnnlib", nnet, prop, "--coords", "normalized", "--threads", threads,
                   "--time-limit", f"{args.limit:g}", "--json"]
            proof = os.path.join(args.proofs, f"{net}_prop{p}.json") if args.proofs else None
            if proof:
                cmd += ["--proof", proof]
            out, _, ours_s, ours_cpu = timed(cmd)
            try:
                doc = json.loads(out)
                answer, ours_runtime = doc["result"], float(doc["seconds"])
            except (ValueError, KeyError, TypeError):
                answer, ours_runtime = "error", 0.0
            onnx = f"{args.data}/onnx/ACASXU_run2a_{net}_batch_2000.onnx"
            if args.no_nnenum:
                out, nn_s, nn_cpu = "", 0.0, 0.0
            else:
                # nnenum's command line, its enumeration timed from outside (see the script)
                out, _, nn_s, nn_cpu = timed([args.nnenum_python, timed_nnenum, onnx, prop, f"{args.limit:g}",
                                              os.devnull, threads], env=env, cwd=args.nnenum_dir,
                                             timeout=args.limit + 60)
            if args.no_nnenum:
                theirs = "-"
            elif "UNSAFE" in out:
                theirs = "sat"
            elif "SAFE" in out or "Proven safe before enumerate" in out:
                theirs = "unsat"
            else:
                theirs = "unknown"
            # one "Runtime: X sec|min" per enumeration (a property with several boxes has several)
            scale = {"sec": 1.0, "min": 60.0, "hr": 3600.0}
            runtime = f'{sum(float(v) * scale[u] for v, u in re.findall(r"Runtime: ([0-9.]+) (sec|min|hr)", out)):.2f}'
            harness = re.findall(r"Harness enumerate_network seconds: ([0-9.]+)", out)
            enumerate_s = harness[-1] if harness else "-"
            check, check_s, check_cpu, size = "-", 0.0, 0.0, 0
            if proof and answer == "unsat":
                limit = ["--time-limit", f"{args.check_limit:g}"] if args.check_limit else []
                _, rc, check_s, check_cpu = timed([ours, "check", nnet, proof, "--property", prop, "--coords",
                                                   "normalized", "--threads", threads] + limit)
                check = "ok" if rc == 0 else "stopped" if rc == 3 else "FAIL"
                size = os.path.getsize(proof)
            print(f"{net}\t{p}\t{answer}\t{ours_s:.2f}\t{ours_cpu:.2f}\t{ours_runtime:.2f}\t{theirs}\t{nn_s:.2f}\t{nn_cpu:.2f}\t{runtime}"
                  f"\t{check}\t{check_s:.2f}\t{check_cpu:.2f}\t{size}\t{enumerate_s}", flush=True)


if __name__ == "__main__":
    main()
