"""Sharded runs on a ``dask.distributed`` cluster: a local one, Slurm or PBS through
dask-jobqueue, Kubernetes through dask-kubernetes; the call is the same.

    from dask.distributed import Client
    from relu_regions import Network, distributed

    client = Client()                       # or Client(SLURMCluster(...)), Client(KubeCluster(...))
    net = Network.from_nnet("ACASXU_run2a_1_1_batch_2000.nnet")
    counts = distributed.count(net, client=client, shards=64, box=...)

The plan is made here (``relu-regions shard plan``), each shard is one Dask task (``shard run``)
whose part comes back as text, and the parts are merged exactly here (``merge``), in the plan's
order: the answer is the single-machine one, byte for byte. A task lost with its worker is run
again by Dask (a shard is deterministic, so a rerun gives the same part); a task that raises is
retried ``retries`` times.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, List, Optional

from . import _native
from ._network import Box, Network, _progress_bar
from ._region import Region


def plan(net: Network, shards: int, box: Optional[Box] = None, domain: Any = None, per_shard: int = 16,
         descents: int = 4, lp: str = "simplex", threads: Optional[int] = None) -> str:
    """The text of a shard plan of ``net`` on its domain (or ``box``/``domain``): what
    ``relu-regions shard plan`` writes."""
    target = net.with_domain(box=box, domain=domain)
    return target._native.plan(shards, per_shard, descents, threads or 0, lp)


def _run_shard(index: int, plan_text: str, threads: int, counts_only: bool) -> str:
    # runs on a worker: the native module releases the GIL while it works
    return _native.run_shard(plan_text, index, threads, counts_only)


def run_parts(client: Any, plan_text: str, threads_per_shard: int = 1, counts_only: bool = False,
              retries: int = 2, progress: Any = False) -> List[str]:
    """Runs every shard of a plan on the client's cluster and returns the parts in plan order."""
    from dask.distributed import as_completed

    shards = len(json.loads(plan_text)["shards"])
    digest = hashlib.sha256(plan_text.encode()).hexdigest()[:16]
    [plan_future] = client.scatter([plan_text], broadcast=True)
    futures = [
        client.submit(_run_shard, i, plan_future, threads_per_shard, counts_only, retries=retries,
                      key=f"relu-regions-shard-{digest}-{int(counts_only)}-{i}")
        for i in range(shards)
    ]
    index_of = {f.key: i for i, f in enumerate(futures)}
    parts: List[Optional[str]] = [None] * shards
    bar = _progress_bar(progress, "shards")
    for future, part in as_completed(futures, with_results=True):
        parts[index_of[future.key]] = part
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return [p for p in parts if p is not None]


def _merged(net: Network, client: Any, shards: int, output: str, box: Optional[Box], domain: Any,
            counts_only: bool, threads_per_shard: int, retries: int, per_shard: int, lp: str, progress: Any) -> dict:
    plan_text = plan(net, shards, box=box, domain=domain, per_shard=per_shard, lp=lp)
    parts = run_parts(client, plan_text, threads_per_shard, counts_only, retries, progress)
    return json.loads(_native.merge_parts(plan_text, parts, output))


def count(net: Network, client: Any, shards: int, box: Optional[Box] = None, domain: Any = None,
          graph: bool = True, threads_per_shard: int = 1, retries: int = 2, per_shard: int = 16,
          lp: str = "simplex", progress: Any = False) -> dict:
    """What ``net.count(...)`` gives, computed as ``shards`` Dask tasks. ``graph=False`` keeps
    each shard's memory flat and gives the ``count --no-graph`` figures."""
    return _merged(net, client, shards, "count", box, domain, not graph, threads_per_shard, retries, per_shard,
                   lp, progress)


def regions(net: Network, client: Any, shards: int, box: Optional[Box] = None, domain: Any = None,
            threads_per_shard: int = 1, retries: int = 2, per_shard: int = 16, lp: str = "simplex",
            progress: Any = False) -> List[Region]:
    """Every region (with its piece), as ``regions --json`` lists them, computed in shards."""
    doc = _merged(net, client, shards, "regions", box, domain, False, threads_per_shard, retries, per_shard, lp,
                  progress)
    return [Region(r) for r in doc["regions"]]


def graph_json(net: Network, client: Any, shards: int, box: Optional[Box] = None, domain: Any = None,
               threads_per_shard: int = 1, retries: int = 2, per_shard: int = 16, lp: str = "simplex",
               progress: Any = False) -> dict:
    """The ``graph --format json`` document, computed in shards."""
    return _merged(net, client, shards, "graph", box, domain, False, threads_per_shard, retries, per_shard, lp,
                   progress)


def graph(net: Network, client: Any, shards: int, box: Optional[Box] = None, domain: Any = None,
          threads_per_shard: int = 1, retries: int = 2, per_shard: int = 16, lp: str = "simplex",
          progress: Any = False) -> Any:
    """The adjacency graph as a ``networkx.Graph`` (as ``Network.graph``), computed in shards."""
    from ._network import _networkx

    return _networkx(graph_json(net, client, shards, box, domain, threads_per_shard, retries, per_shard, lp,
                                progress))
