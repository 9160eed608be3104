"""Saving and loading analyses: :func:`to_json` and :func:`from_json` for regions (a
:class:`RegionList` or a list of :class:`Region`), graphs (networkx, from ``net.graph()``),
counts (``net.count()``) and batches of counts (``net.count_many()``, numpy arrays), each with
its provenance (the network's SHA-256, domain, format and tool version), exact throughout."""

from __future__ import annotations

import json
import os
from typing import Any, Union

import numpy as np


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _wire_node(n: int, attrs: dict) -> dict:
    """A networkx node back in the wire form: its pattern as the CLI's strings."""
    node = {"id": n, **attrs}
    if "pattern_strings" in node:
        node["pattern"] = node.pop("pattern_strings")
    return node


def to_json(obj: Any) -> str:
    """The JSON text of an analysis: regions (``{"regions": [...]}``, as ``regions --json``),
    a networkx graph (as ``graph --format json``), counts or a batch of counts."""
    from ._analyses import RegionList
    from ._region import Region

    if isinstance(obj, RegionList):
        return obj.to_json()
    if isinstance(obj, (list, tuple)) and all(isinstance(r, Region) for r in obj):
        return json.dumps({"regions": [r.to_dict() for r in obj], "complete": True})
    if hasattr(obj, "nodes") and hasattr(obj, "edges") and hasattr(obj, "graph"):  # networkx
        doc = {k: obj.graph.get(k) for k in ("pieces", "complete", "provenance")}
        doc["nodes"] = [_wire_node(n, attrs) for n, attrs in obj.nodes(data=True)]
        doc["edges"] = [{"source": a, "target": b, **attrs} for a, b, attrs in obj.edges(data=True)]
        return json.dumps(_plain(doc))
    if isinstance(obj, dict):
        return json.dumps(_plain(obj))
    raise TypeError(f"cannot save a {type(obj).__name__}: give regions, a graph or counts")


def from_json(text_or_path: Union[str, os.PathLike]) -> Any:
    """What :func:`to_json` saved (or the CLI printed): a :class:`RegionList` for regions, a
    networkx graph for a graph, numpy columns for a batch of counts, else the dict."""
    from ._analyses import RegionList
    from ._batch import _COLUMNS
    from ._network import _networkx

    text = os.fspath(text_or_path) if isinstance(text_or_path, os.PathLike) else text_or_path
    if not text.lstrip().startswith("{"):
        with open(text) as f:
            text = f.read()
    doc = json.loads(text)
    if isinstance(doc.get("regions"), list) and all(isinstance(r, dict) and "inequalities" in r for r in doc["regions"]):
        return RegionList.from_json(text)
    if isinstance(doc.get("nodes"), list) and isinstance(doc.get("edges"), list):
        return _networkx(doc)
    if isinstance(doc.get("regions"), list) and "boxes" in doc:
        for key, dtype in _COLUMNS.items():
            if key in doc:
                doc[key] = np.asarray(doc[key], dtype=dtype)
        doc["stopped"] = np.asarray(doc["stopped"], dtype=object)
    return doc
