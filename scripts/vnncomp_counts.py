#!/usr/bin/env python3
"""Region counts of the VNN-COMP 2021 conv networks in growing boxes around a test image.

The test image is the centre of the property's VNN-LIB input box; each run counts the regions
of the box `centre +- eps` (every input) to completion, or until the time limit, one thread,
without the graph. One markdown row per run: network, inputs, hidden neurons, centre, eps,
regions, seconds, peak memory.

Usage: scripts/vnncomp_counts.py DATA_DIR [--limit SECONDS] [--only NAME]
DATA_DIR holds verivital/, cifar10_resnet/ and marabou-cifar10/ as in VNN-COMP 2021's
benchmarks folder. The binary is $RELU_REGIONS_BIN or target/release/relu-regions.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

# (name, network, property, eps values, jitter): eps grows until a run takes minutes. With a
# jitter the box is centred on the image moved by dyadic offsets drawn uniformly from
# [0, jitter) (seed 1), off the ties of the image itself (see docs/performance.md: Convnet_maxpool
# at the image has the same regions in every box c +- eps, however small)
RUNS = [
    ("Convnet_maxpool", "verivital/Convnet_maxpool.onnx", "verivital/maxpool_prop_0_0.004.vnnlib",
     ["0.00001"], None),
    ("Convnet_maxpool", "verivital/Convnet_maxpool.onnx", "verivital/maxpool_prop_0_0.004.vnnlib",
     ["0.000001", "0.000002", "0.000003", "0.000004"], "0.001"),
    ("Convnet_avgpool", "verivital/Convnet_avgpool.onnx", "verivital/avgpool_prop_0_0.02.vnnlib",
     ["0.0001", "0.0002", "0.0004", "0.0006"], None),
    ("ResNet-2B", "cifar10_resnet/resnet_2b.onnx", "cifar10_resnet/resnet2b_prop_0_eps_0.008.vnnlib",
     ["0.00001", "0.00003", "0.00005", "0.0001", "0.0002"], None),
    ("cifar10_small", "marabou-cifar10/cifar10_small.onnx",
     "marabou-cifar10/networkcifar10_small_index1189_eps0.012_target1_orig0.vnnlib",
     ["0.00001", "0.00003", "0.0001"], None),
]


def jittered(c, jitter):
    """The centre moved by dyadic offsets k / 2^20 * jitter, k uniform in [0, 2^20] (seed 1)."""
    rng = random.Random(1)
    return [x + Fraction(rng.randint(0, 2**20), 2**20) * Fraction(jitter) for x in c]


def centre(vnnlib):
    """The centre of the VNN-LIB input box, exactly."""
    text = open(vnnlib).read()
    lo, hi = {}, {}
    for op, i, v in re.findall(r"\(assert \((<=|>=) X_(\d+) ([-+0-9.eE]+)\)\)", text):
        (hi if op == "<=" else lo)[int(i)] = Fraction(v)
    return [(lo[i] + hi[i]) / 2 for i in range(len(lo))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--limit", type=int, default=600)
    ap.add_argument("--only")
    args = ap.parse_args()
    binary = os.environ.get("RELU_REGIONS_BIN", "target/release/relu-regions")
    print("| network | inputs | hidden neurons | centre | eps | regions | seconds | peak memory |")
    print("|---|---|---|---|---|---|---|---|")
    for name, net, prop, epsilons, jitter in RUNS:
        if args.only and args.only != name:
            continue
        c = centre(os.path.join(args.data, prop))
        if jitter:
            c = jittered(c, jitter)
        where = f"image + [0, {jitter})" if jitter else "image"
        for eps in epsilons:
            e = Fraction(eps)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump({"box": [[str(x - e), str(x + e)] for x in c]}, f)
                domain = f.name
            cmd = ["/usr/bin/time", "-f", "%M", binary, "count", os.path.join(args.data, net),
                   "--domain", domain, "--no-graph", "--threads", "1", "--json",
                   "--time-limit", str(args.limit)]
            start = time.time()
            run = subprocess.run(cmd, capture_output=True, text=True)
            seconds = time.time() - start
            os.unlink(domain)
            peak_kb = int(run.stderr.strip().splitlines()[-1])
            try:
                out = json.loads(run.stdout)
            except json.JSONDecodeError:
                print(run.stderr, file=sys.stderr)
                raise
            regions = str(out["regions"]) + ("" if out["complete"] else " (stopped)")
            print(f"| {name} | {out['input_dim']} | {out['hidden_neurons']} | {where} | {eps} | {regions} | "
                  f"{seconds:.1f} | {peak_kb / 1e6:.2f} GB |", flush=True)


if __name__ == "__main__":
    main()
