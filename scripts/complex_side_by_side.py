#!/usr/bin/env python3
"""Decision boundaries and their Betti numbers side by side: relucent 1.0 and `relu-regions boundary`.

Not run by the tests. Needs a virtual environment with relucent (torch, gurobipy) outside the
project, e.g.

    python3 -m venv /work/venv-relucent && /work/venv-relucent/bin/pip install relucent
    /work/venv-relucent/bin/python scripts/complex_side_by_side.py --binary target/release/relu-regions

For each size, one random MLP `d -> h1 -> h2 -> 1` (relucent's `mlp`, float64 weights, seeded) is
written to our JSON with every weight as its exact binary value (`p/q`), so both tools see the
same function on all of R^d. relucent: `Complex(net).bfs(nworkers=1)` (every region, verified),
then `boundary_complex(i)` for the output neuron `i` (its bent hyperplane is the decision boundary
`{y = 0}`: the network ends with a ReLU, `add_last_relu=True`), then `betti_numbers` under its
three conventions. Ours: `relu-regions boundary NET --output 0 --level 0 --json --threads 1`
(the level set `{y = 0}` as a subcomplex, its Betti numbers under `set`, `borel_moore`,
`one_point`). The two run interleaved, `--repeats` times each, one worker each; the script prints
the counts (regions of the augmented network, top cells of the boundary, Betti numbers) and the
times (CPU, user + sys: relucent's process with its reaped children and its live descendants
from /proc, as it computes in a child process; ours as a reaped child; wall beside it),
and says where they disagree; the speed-up is the ratio of the CPU times.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

import numpy as np


def exact(x):
    """The exact binary value of a float64 as a rational string."""
    f = Fraction(float(x))
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def our_json(net):
    """relucent's ReLUNetwork -> our network JSON (R^d, exact weights), without the last ReLU."""
    from relucent.model.model import LinearLayer

    linears = [layer for layer in net.layers.values() if isinstance(layer, LinearLayer)]
    layers = []
    for k, lin in enumerate(linears):
        w = np.asarray(lin.weight, dtype=np.float64)
        b = np.asarray(lin.bias, dtype=np.float64).reshape(-1)
        layers.append(
            {
                "weights": [[exact(v) for v in row] for row in w],
                "bias": [exact(v) for v in b],
                "activation": "relu" if k < len(linears) - 1 else "linear",
            }
        )
    d = np.asarray(linears[0].weight).shape[1]
    return {"input_dim": int(d), "layers": layers}


def descendants_cpu():
    """CPU seconds (user + sys) of the live descendants of this process, from /proc (relucent
    computes in a child process even with one worker; getrusage counts children only once
    reaped)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    me, total = os.getpid(), 0.0
    for pid in parent:
        p = parent[pid]
        while p > 1 and p != me:
            p = parent.get(p, 0)
        if p == me:
            total += cpu[pid]
    return total


def cpu_now():
    """CPU seconds of this process, its reaped children and its live descendants."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime + descendants_cpu()


def run_relucent(net, output_neuron):
    from relucent import Complex

    t0 = time.perf_counter()
    c0 = cpu_now()
    cplx = Complex(net)
    cplx.bfs(nworkers=1, verbose=0)
    bc = cplx.boundary_complex(output_neuron, verbose=0)
    betti = {c: bc.betti_numbers(compactify=c, verbose=0) for c in ("truncate", "borel_moore", "one_point")}
    seconds = time.perf_counter() - t0
    cpu = cpu_now() - c0
    as_list = {c: [b.get(k, 0) for k in range(max(b, default=-1) + 1)] for c, b in betti.items()}
    return {"regions": len(cplx), "top_cells": len(bc), "betti": as_list, "seconds": seconds, "cpu": cpu}


def run_ours(binary, path):
    t0 = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        [binary, "boundary", path, "--output", "0", "--level", "0", "--json", "--threads", "1"],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    doc = json.loads(out.stdout)
    return {
        "top_cells": len(doc["cells"]),
        "f_vector": doc["f_vector"],
        "betti": doc["betti"],
        "regions": doc["complex_f_vector"][-1],
        "seconds": seconds,
        "cpu": cpu,
    }


def trim(b):
    b = list(b)
    while b and b[-1] == 0:
        b.pop()
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default="target/release/relu-regions")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument(
        "--sizes",
        default="2:8:8,2:16:16,3:10:10,4:8:8",
        help="comma-separated d:h1:h2 networks",
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import relucent.config as cfg
    from relucent.model.builders import mlp, set_seeds

    cfg.VERBOSE = 0
    rows = []
    for spec in args.sizes.split(","):
        d, h1, h2 = (int(v) for v in spec.split(":"))
        set_seeds(args.seed)
        net = mlp([d, h1, h2, 1], add_last_relu=True)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump(our_json(net), fh)
            path = fh.name
        theirs, ours = [], []
        for _ in range(args.repeats):
            try:
                theirs.append(run_relucent(net, h1 + h2))
            except Exception as e:  # relucent raises on non-generic arrangements, among others
                theirs.append({"error": f"{type(e).__name__}: {e}", "seconds": float("nan"), "cpu": float("nan")})
            ours.append(run_ours(args.binary, path))
        t, o = theirs[-1], ours[-1]
        agree = []
        if "error" in t:
            agree.append("relucent: " + t["error"][:120])
        else:
            if t["regions"] != o["regions"]:
                agree.append(f"regions {t['regions']} vs {o['regions']}")
            if t["top_cells"] != o["top_cells"]:
                agree.append(f"top cells {t['top_cells']} vs {o['top_cells']}")
            for theirs_name, ours_name in (("truncate", "set"), ("borel_moore", "borel_moore"), ("one_point", "one_point")):
                if trim(t["betti"][theirs_name]) != trim(o["betti"][ours_name]):
                    agree.append(f"{theirs_name} {t['betti'][theirs_name]} vs {ours_name} {o['betti'][ours_name]}")
        row = {
            "net": f"{d}-{h1}-{h2}-1",
            "regions": o["regions"],
            "relucent_regions": t.get("regions"),
            "relucent_top_cells": t.get("top_cells"),
            "relucent_betti": t.get("betti"),
            "top_cells": o["top_cells"],
            "betti_set": o["betti"]["set"],
            "betti_borel_moore": o["betti"]["borel_moore"],
            "betti_one_point": o["betti"]["one_point"],
            "relucent_s": statistics.median(x["seconds"] for x in theirs),
            "ours_s": statistics.median(x["seconds"] for x in ours),
            "relucent_cpu": statistics.median(x["cpu"] for x in theirs),
            "ours_cpu": statistics.median(x["cpu"] for x in ours),
            "agree": "yes" if not agree else "; ".join(agree),
        }
        row["speedup"] = row["relucent_cpu"] / row["ours_cpu"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print(
        "| network | regions | boundary top cells | Betti (set / BM / one-point) | relucent 1.0 CPU s (wall) "
        "| ours CPU s (wall) | speed-up (CPU) | agree |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['net']} | {r['regions']} | {r['top_cells']} | {r['betti_set']} / {r['betti_borel_moore']} / "
            f"{r['betti_one_point']} | {r['relucent_cpu']:.2f} ({r['relucent_s']:.1f}) | {r['ours_cpu']:.3f} "
            f"({r['ours_s']:.2f}) | {r['speedup']:.0f}x | {r['agree']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
