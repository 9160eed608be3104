"""``Network.count_many``: local complexity, one count per box or L_inf ball, many at once.

The Rust library's ``batch::count_many`` does the work (each box on one thread, the boxes in
parallel); this module only turns arrays into its flat exact inputs and its answer into numpy
arrays, in the boxes' order."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, List, Optional, Tuple

import numpy as np

from . import _native

#: The per-box columns of the answer and their numpy types.
_COLUMNS = {
    "regions": np.int64,
    "bounded": np.int64,
    "pieces": np.int64,
    "edges": np.int64,
    "distinct_maps": np.int64,
    "complete": np.bool_,
    "lps": np.int64,
    "seconds": np.float64,
}


def _flat(values: Any, what: str) -> Tuple[List[Any], Tuple[int, ...]]:
    """A flat list for Rust (floats when the array is numeric: each taken as the exact value it
    holds; else exact strings) and the array's shape."""
    from ._network import exact_text

    arr = np.asarray(values, dtype=object) if _has_exact(values) else np.asarray(values)
    if arr.dtype.kind in "biuf":
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise _native.NetworkError(f"{what}{list(bad)}: not a finite number")
        return arr.astype(np.float64).ravel().tolist() if arr.dtype.kind == "f" else \
            [str(int(v)) for v in arr.ravel().tolist()], arr.shape
    return [exact_text(v) for v in arr.ravel().tolist()], arr.shape


def _has_exact(values: Any) -> bool:
    """Whether a nested sequence holds Fractions or strings (which must not become floats)."""
    if isinstance(values, np.ndarray):
        return values.dtype == object
    stack = [values]
    while stack:
        v = stack.pop()
        if isinstance(v, (Fraction, str)):
            return True
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


def count_many(network: Any, boxes: Any = None, centers: Any = None, radius: Any = None,
               norm: str = "linf", graph: bool = False, threads: Optional[int] = None,
               time_limit: Optional[float] = None, box_time_limit: Optional[float] = None,
               max_regions: Optional[int] = None, lp: str = "simplex", progress: Any = False) -> dict:
    from ._network import _progress_bar, _wait, exact_text

    if norm != "linf":
        raise ValueError(f"norm must be \"linf\" (balls of other norms are not polytopes the "
                         f"boxes' exact counts cover), not {norm!r}")
    if threads is not None and threads < 0:
        raise ValueError("threads must be at least 0")
    d = network.input_dim
    native = network._native
    if boxes is not None:
        if centers is not None or radius is not None:
            raise ValueError("give boxes, or centers and radius, not both")
        flat, shape = _flat(boxes, "boxes")
        if len(shape) != 3 or shape[1:] != (d, 2):
            raise _native.NetworkError(f"boxes: shape {shape}, expected (n, {d}, 2): one (lo, hi) pair "
                                       f"per input of each box")
        n = shape[0]
        lo, hi = flat[0::2], flat[1::2]
        job = _native.count_many(native, n, lo=lo, hi=hi, graph=graph, threads=threads or 0,
                                 max_regions=max_regions, time_limit=time_limit,
                                 box_time_limit=box_time_limit, lp=lp)
    elif centers is not None and radius is not None:
        flat, shape = _flat(centers, "centers")
        if len(shape) == 0:
            raise _native.NetworkError("centers: expected an array with one center per row")
        n = shape[0]
        size = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
        if size != d:
            raise _native.NetworkError(f"centers: each center has {size} values (shape {shape[1:]}), "
                                       f"the network has {d} inputs")
        job = _native.count_many(native, n, centers=flat, radius=exact_text(radius), graph=graph,
                                 threads=threads or 0, max_regions=max_regions, time_limit=time_limit,
                                 box_time_limit=box_time_limit, lp=lp)
    else:
        raise ValueError("give boxes, or centers and radius")
    bar = _progress_bar(progress, "boxes", total=n)
    doc = _wait(job, bar)
    out = dict(doc)
    for key, dtype in _COLUMNS.items():
        if key in doc:
            out[key] = np.asarray(doc[key], dtype=dtype)
    out["stopped"] = np.asarray(doc["stopped"], dtype=object)
    return out
