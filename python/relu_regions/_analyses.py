"""The CLI's analyses beyond counting, as methods of :class:`~relu_regions.Network` (a mixin):
``locate``, ``range``, ``slice``, ``restrict``, ``vnnlib``, ``check``, and the regions with
their sizes. Each runs as a job (Ctrl-C and ``time_limit`` stop it) and returns the document
the CLI prints with ``--json``, built by the same library code (``relu_regions::jobs``)."""

from __future__ import annotations

import json
import os
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native

Plane = Tuple[Sequence[Any], Sequence[Any], Sequence[Any]]


def _texts(values: Any) -> List[str]:
    from ._network import exact_text

    return [exact_text(v) for v in np.asarray(values, dtype=object).ravel().tolist()]


def _plane_text(points: Plane) -> str:
    if len(points) != 3:
        raise ValueError("a plane is three vectors: (p, u, v), or three points for through=")
    return ";".join(",".join(_texts(v)) for v in points)


class RegionList(list):
    """Regions with what the run that found them knows: ``complete``, ``provenance`` (and
    ``to_json`` / :meth:`from_json` to save and load them as the CLI's ``regions --json``)."""

    complete: bool = True
    provenance: Optional[dict] = None
    input_dim: Optional[int] = None

    def to_document(self) -> dict:
        """The ``regions --json`` document of these regions."""
        doc = {"regions": [r.to_dict() for r in self], "complete": self.complete}
        if self.input_dim is not None:
            doc["input_dim"] = self.input_dim
        if self.provenance is not None:
            doc["provenance"] = self.provenance
        return doc

    def to_json(self) -> str:
        """The regions as ``regions --json`` prints them (``relu-regions check`` reads it)."""
        return json.dumps(self.to_document())

    @classmethod
    def from_json(cls, text_or_path: Union[str, os.PathLike]) -> "RegionList":
        """Regions saved by :meth:`to_json` or printed by ``regions --json`` (a text or a file)."""
        from ._region import Region

        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            with open(text_or_path) as f:
                text = f.read()
        doc = json.loads(text)
        out = cls(Region(r) for r in doc["regions"])
        out.complete = bool(doc.get("complete", True))
        out.provenance = doc.get("provenance")
        out.input_dim = doc.get("input_dim")
        return out


class Analyses:
    """The analyses (mixed into :class:`~relu_regions.Network`)."""

    _native: Any

    def _run(self, start: Any, progress: Any = None) -> dict:
        from ._network import _wait

        return _wait(start, progress)

    @staticmethod
    def _opts(threads: Optional[int], max_regions: Optional[int], time_limit: Optional[float], lp: str) -> dict:
        if threads is not None and threads < 0:
            raise ValueError("threads must be at least 0")
        return {"threads": threads or 0, "max_regions": max_regions, "time_limit": time_limit, "lp": lp}

    def locate(self, points: Any, threads: Optional[int] = None, time_limit: Optional[float] = None,
               lp: str = "simplex") -> List[dict]:
        """Where each point lies (``locate --json`` per point): ``regions`` (each with its
        ``pattern``, ``jacobian``, ``offset``, ``inequalities``...), ``on_boundary``,
        ``on_domain_boundary``, ``split_by`` (the neurons splitting there, ``{"layer", "index"}``).
        ``points`` is one point or an array of points (a dataset: ``n x input_dim``, or images
        flattened). A point outside the domain raises :class:`NetworkError` naming its index."""
        arr = np.asarray(points, dtype=object)
        single = arr.ndim == 1
        rows = arr.reshape(1, -1) if single else arr.reshape(arr.shape[0], -1)
        job = _native.locate(self._native, [_texts(r) for r in rows], **self._opts(threads, None, time_limit, lp))
        doc = self._run(job)
        for i, p in enumerate(doc["points"]):
            if "error" in p:
                raise _native.NetworkError(f"points[{i}]: {p['error']}")
        out = doc["points"]
        if not doc["complete"]:
            import warnings

            warnings.warn(f"stopped: {len(out)} of {len(rows)} points located", stacklevel=2)
        return out[0] if single and out else out

    def range(self, lipschitz: bool = False, threads: Optional[int] = None, max_regions: Optional[int] = None,
              time_limit: Optional[float] = None, lp: str = "simplex") -> dict:
        """The exact range of every output (``range --json``): per output ``min``/``max`` with
        the exact ``value``, a ``point`` attaining it and its ``region`` (or ``"-inf"``/``"+inf"``
        with a ``ray``); with ``lipschitz=True`` the exact ``l1`` and ``linf`` Lipschitz
        constants (the largest row and column norms of the regions' Jacobians)."""
        return self._run(_native.range(self._native, lipschitz, **self._opts(threads, max_regions, time_limit, lp)))

    def slice(self, a: Sequence[Any], b: Sequence[Any], threads: Optional[int] = None,
              max_regions: Optional[int] = None, time_limit: Optional[float] = None, lp: str = "simplex") -> dict:
        """The network along the segment from ``a`` to ``b`` (``slice --json``): its ``pieces``
        (intervals of ``t`` in [0, 1] with their slopes and values) and exact ``breakpoints``."""
        return self._run(_native.slice(self._native, _texts(a), _texts(b),
                                       **self._opts(threads, max_regions, time_limit, lp)))

    def restrict(self, plane: Optional[Plane] = None, through: Optional[Plane] = None, box: Any = None) -> Any:
        """The network on the plane ``p + s u + t v`` (``plane=(p, u, v)``) or through three
        points (``through=(a, b, c)``: ``s`` and ``t`` in [0, 1] reach them): an exact 2-input
        :class:`Network` in ``(s, t)``, on ``box`` (pairs or ``"lo:hi,lo:hi"``) or on the
        plane's part of the domain (what ``plot --plane`` draws)."""
        from ._network import Network, box_text

        if (plane is None) == (through is None):
            raise ValueError("give plane=(p, u, v) or through=(a, b, c)")
        text = _plane_text(plane if plane is not None else through)
        st = box_text(box) if box is not None else None
        return Network(_native.restrict(self._native, text, through is not None, st))

    def vnnlib(self, path: Union[str, os.PathLike], proof: Optional[Union[str, os.PathLike]] = None,
               threads: Optional[int] = None, max_regions: Optional[int] = None,
               time_limit: Optional[float] = None, lp: str = "simplex") -> dict:
        """Decides a VNN-LIB property exactly (``vnnlib --json``): ``result`` (``"sat"``,
        ``"unsat"`` or ``"unknown"`` when a limit stopped it), ``counterexample`` when sat (exact
        ``input`` and ``output``), ``complete``; ``proof``: where to write an unsat proof."""
        job = _native.vnnlib(self._native, os.fspath(path), os.fspath(proof) if proof is not None else None,
                             **self._opts(threads, max_regions, time_limit, lp))
        return self._run(job)

    def check(self, regions: Any, graph: Any = None, partial: bool = False, threads: Optional[int] = None,
              time_limit: Optional[float] = None) -> dict:
        """Re-verifies an answer in exact arithmetic (``relu-regions check``): ``regions`` is a
        ``regions --json`` document (a dict, its text, a path, or a :class:`RegionList`),
        ``graph`` a ``graph --format json`` document. Returns ``ok``, ``failures`` (each with its
        ``region`` and ``message``), ``regions``, ``edges`` and ``complete``. A document made for
        another network or domain raises :class:`NetworkError` before any work."""
        opts = self._opts(threads, None, time_limit, "simplex")
        job = _native.check(self._native, _document_text(regions), _document_text(graph) if graph is not None else None,
                            partial, opts["threads"], time_limit)
        return self._run(job)

    def _regions_with_sizes(self, samples: int, opts: dict) -> RegionList:
        from ._region import Region

        doc = self._run(_native.regions_sizes(self._native, samples, **opts))
        out = RegionList(Region(r) for r in doc["regions"])
        out.complete, out.provenance, out.input_dim = bool(doc["complete"]), doc.get("provenance"), doc["input_dim"]
        return out


def _document_text(doc: Any) -> str:
    if isinstance(doc, RegionList):
        return doc.to_json()
    if isinstance(doc, dict):
        return json.dumps(doc)
    if isinstance(doc, os.PathLike) or (isinstance(doc, str) and not doc.lstrip().startswith(("{", "["))):
        with open(doc) as f:
            return f.read()
    return str(doc)
