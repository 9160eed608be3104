#!/usr/bin/env python3
"""Benchmarks Network.count_many (local complexity in batches, issue 33) against loops of
Network.count, on this machine, and prints a table of wall times.

1. The 50-point 2-D case: L_inf balls of radius R2 around 50 points drawn in [-1, 1]^2, on
   fixtures/bench/torch32-2-32-32.json (a trained 2-32-32-2 torch model): a loop of
   ``count(box=...)`` with default threads, the same loop with ``threads=1``, and
   ``count_many``; the counts must agree.
2. MNIST-sized inputs: N balls of radius RM around points drawn in [0, 1]^784 of a random
   784-32-32-10 MLP (seeded, float32 weights as torch would hold them), counted without the
   graph by ``count_many`` (the loop of ``count`` is timed on the first 50 and scaled).

usage: bench_count_many.py [--graph] [--mnist N] [--threads T] [--r2 R] [--rm R] [--repeat K]
Needs the package installed (or PYTHONPATH pointing at a build) and numpy.
"""
import argparse
import json
import os
import time

import numpy as np

from relu_regions import Network

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(f, repeat=1):
    """The best wall time of ``repeat`` runs (the machine may be shared) and the last answer."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - start)
    return best, out


def boxes_of(centers, r):
    return [[(float(c) - r, float(c) + r) for c in row] for row in centers]


def mlp(sizes, seed):
    rng = np.random.default_rng(seed)
    layers = []
    for k, (m, n) in enumerate(zip(sizes, sizes[1:])):
        w = (rng.standard_normal((n, m)) / np.sqrt(m)).astype(np.float32)
        b = (0.1 * rng.standard_normal(n)).astype(np.float32)
        act = "relu" if k < len(sizes) - 2 else "linear"
        # float32 values written exactly (as the float64 repr of the float32 value)
        layers.append({"weights": [[repr(float(v)) for v in row] for row in w],
                       "bias": [repr(float(v)) for v in b], "activation": act})
    return Network.from_json(json.dumps({"input_dim": sizes[0], "layers": layers}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--graph", action="store_true", help="count edges and pieces too in part 1")
    ap.add_argument("--mnist", type=int, default=1000, help="boxes in part 2 (0: skip)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--r2", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=7, help="part 1: the best of this many runs")
    ap.add_argument("--rm", type=float, default=0.002)
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}")

    net = Network.from_json(os.path.join(ROOT, "fixtures", "bench", "torch32-2-32-32.json"))
    centers = np.random.default_rng(1).uniform(-1, 1, size=(50, 2))
    boxes = boxes_of(centers, args.r2)
    rep = args.repeat
    t_loop, loop = timed(lambda: [net.count(box=b, graph=args.graph)["regions"] for b in boxes], rep)
    t_one, one = timed(lambda: [net.count(box=b, graph=args.graph, threads=1)["regions"] for b in boxes], rep)
    t_many, many = timed(lambda: net.count_many(boxes=boxes, graph=args.graph, threads=args.threads), rep)
    assert loop == one == list(many["regions"]), "the counts disagree"
    print(f"(part 1: the best of {rep} runs each)")
    print(f"2-D, 50 balls of radius {args.r2} (graph={args.graph}), {sum(one)} regions in all:")
    print(f"  loop of count (default threads) {t_loop:8.3f} s")
    print(f"  loop of count, threads=1        {t_one:8.3f} s")
    print(f"  count_many                      {t_many:8.3f} s   ({t_one / t_many:.1f}x the threads=1 loop)")

    if args.mnist:
        big = mlp([784, 32, 32, 10], seed=0)
        points = np.random.default_rng(2).uniform(0, 1, size=(args.mnist, 784))
        t_many, many = timed(lambda: big.count_many(centers=points, radius=args.rm, threads=args.threads))
        k = min(50, args.mnist)
        t_loop, loop = timed(lambda: [big.count(box=b, graph=False, threads=1)["regions"]
                                      for b in boxes_of(points[:k], args.rm)])
        assert loop == list(many["regions"][:k]), "the counts disagree"
        r = many["regions"]
        print(f"784-32-32-10 MLP, {args.mnist} balls of radius {args.rm} (no graph): regions per ball "
              f"min {r.min()} median {int(np.median(r))} max {r.max()}, all complete: {many['all_complete']}")
        print(f"  count_many                      {t_many:8.3f} s")
        print(f"  loop of count, threads=1        {t_loop * args.mnist / k:8.3f} s (the first {k} timed, scaled)")


if __name__ == "__main__":
    main()
