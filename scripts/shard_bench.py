"""Sharded counting on a local Dask cluster against one process with as many threads.

    python scripts/shard_bench.py [--width 0.1] [--shards 64] [--workers 2] [--graph]

Runs ACAS Xu 1_1 (fixtures/, normalized coordinates) on the box of width W around
(0, 0.1, -0.1, 0.2, -0.2) that scripts/bench.sh uses: first `net.count(threads=workers)`, then
`relu_regions.distributed.count(..., shards=K)` on a LocalCluster of `workers` processes with
one thread each, and prints both times, the plan's time and estimated balance, and whether the
answers are identical (they must be). Needs the Python package and dask[distributed].
"""

import argparse
import json
import time
from pathlib import Path

from relu_regions import Network
from relu_regions import distributed as rd
from relu_regions import _native

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=float, default=0.1)
    parser.add_argument("--shards", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--descents", type=int, default=4)
    parser.add_argument("--graph", action="store_true", help="count with the graph (parts hold regions)")
    args = parser.parse_args()

    from dask.distributed import Client, LocalCluster

    centre, h = [0, 0.1, -0.1, 0.2, -0.2], args.width / 2
    box = ",".join(f"{c - h:.6g}:{c + h:.6g}" for c in centre)
    net = Network.from_nnet(ROOT / "fixtures/nnet/ACASXU_run2a_1_1_batch_2000.nnet", coords="normalized")

    start = time.perf_counter()
    one = net.count(box=box, graph=args.graph, threads=args.workers)
    single = time.perf_counter() - start

    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: None)  # workers up before the clock starts
    start = time.perf_counter()
    plan_text = rd.plan(net, args.shards, box=box, descents=args.descents, threads=args.workers)
    planned = time.perf_counter() - start
    parts = rd.run_parts(client, plan_text, counts_only=not args.graph)
    ran = time.perf_counter() - start
    many = json.loads(_native.merge_parts(plan_text, parts, "count"))
    total = time.perf_counter() - start
    client.close()
    cluster.close()

    plan = json.loads(plan_text)
    part_mb = sum(len(p) for p in parts) / 1e6
    print(f"ACAS Xu 1_1 width {args.width}: {one['regions']} regions" + (f", {one['edges']} edges, {one['pieces']} pieces" if args.graph else ""))
    print(f"one process, {args.workers} threads: {single:.1f} s")
    print(f"{args.shards} shards on {args.workers} worker processes: {total:.1f} s "
          f"(plan {planned:.1f} s, shards {ran - planned:.1f} s, merge {total - ran:.1f} s; parts {part_mb:.1f} MB)")
    print(f"plan: {plan['items']} subtrees, estimated {plan['estimated_regions']:.0f} regions, "
          f"largest shard estimate {plan['balance']:.2f}x the mean")
    print(f"overhead: {total / single:.2f}x; identical answer: {many == one}")


if __name__ == "__main__":
    main()
