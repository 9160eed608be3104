"""The whole complex and the topology of decision boundaries (issue 34): the documents of
``faces --json`` and ``boundary --json`` with exact ``Fraction`` and numpy views."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any, Optional

from . import _native


def _exact_point(values: list) -> tuple:
    return tuple(Fraction(v) for v in values)


def _with_views(points: list, dim: int = 0) -> Any:
    """The points as a float array, one row each (``(0, dim)`` when there is none)."""
    import numpy as np

    if not points:
        return np.zeros((0, dim), dtype=float)
    return np.array([[float(Fraction(v)) for v in p] for p in points], dtype=float).reshape(len(points), -1)


def faces(native: Any, dim: Optional[int], threads: int, time_limit: Optional[float], lp: str) -> dict:
    """The ``faces`` document: ``f_vector``, ``f_vector_bounded``, ``euler_characteristic`` and
    ``faces`` (each with ``point`` as exact strings, ``point_exact`` as Fractions), plus
    ``points``: a numpy array of the faces' points (floats, one row per face)."""
    doc = json.loads(_native.faces_json(native, dim, threads, time_limit, lp))
    for face in doc["faces"]:
        face["point_exact"] = _exact_point(face["point"])
    doc["points"] = _with_views([f["point"] for f in doc["faces"]])
    return doc


def boundary(native: Any, output: int, level: Any, classes: bool, threads: int,
             time_limit: Optional[float], lp: str) -> dict:
    """The ``boundary`` document: ``cells``, ``f_vector``, ``betti`` (``set``, ``borel_moore``,
    ``one_point``), ``euler_characteristic``, ``full_dimensional_regions``, ``components``
    (each component's ``point`` also as ``point_exact``) and, in 2-D, ``segments``."""
    from ._network import exact_text

    doc = json.loads(_native.boundary_json(native, output, exact_text(level), classes, threads, time_limit, lp))
    for cell in doc["cells"] + doc["full_dimensional_regions"]:
        cell["point_exact"] = _exact_point(cell["point"])
    for region in doc["components"]:
        for comp in region["components"]:
            comp["point_exact"] = _exact_point(comp["point"])
    doc["cell_points"] = _with_views([c["point"] for c in doc["cells"]], doc.get("input_dim", 0))
    return doc


def draw_boundary(doc: dict, ax: Any, color: str = "red", linewidth: float = 1.5) -> Any:
    """Draws the 2-D segments of a ``boundary`` document on matplotlib axes."""
    from matplotlib.collections import LineCollection

    segments = [[[float(Fraction(v)) for v in p] for p in seg] for seg in doc.get("segments", [])]
    ax.add_collection(LineCollection(segments, colors=color, linewidths=linewidth))
    return ax
