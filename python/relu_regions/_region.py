"""Regions as Python objects, built from the JSON wire form the command-line tool prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, List, Optional, Sequence

import numpy as np


def exact(text: str | int) -> Fraction:
    """An exact rational from the wire form (``"p/q"`` or an integer)."""
    return Fraction(text)


@dataclass(frozen=True)
class Inequality:
    """One non-redundant inequality ``a . x <= b`` of a region (a facet).

    ``a`` and ``b`` are the nearest floats; ``a_exact`` and ``b_exact`` the exact values.
    ``neurons`` lists the hidden neurons whose hyperplane this is, each ``{"layer": l, "index":
    i}`` as in every document (graph edges, ``locate``'s ``split_by``), and
    ``domain_rows`` the rows of the domain it is (on the domain's boundary).
    """

    a_exact: List[Fraction]
    b_exact: Fraction
    neurons: List[dict] = field(default_factory=list)
    domain_rows: List[int] = field(default_factory=list)
    facet_point_exact: List[Fraction] = field(default_factory=list)

    @property
    def a(self) -> np.ndarray:
        return np.array([float(v) for v in self.a_exact], dtype=np.float64)

    @property
    def b(self) -> float:
        return float(self.b_exact)

    @property
    def facet_point(self) -> np.ndarray:
        """A point in the facet's relative interior (floats)."""
        return np.array([float(v) for v in self.facet_point_exact], dtype=np.float64)


class Region:
    """One full-dimensional activation region.

    Attributes:
        id: its id (the depth-first order, the same as the CLI's).
        pattern: on/off of every relu neuron, layers one after another (numpy bool array; for
            networks with max units read ``pattern_strings``).
        pattern_strings: one string per hidden layer (the CLI's form): ``"0101..."`` for a relu
            layer, and for a max layer (MaxPool, ReduceMax, Max of tensors) one base-36 digit per
            unit, the index of its winning candidate.
        point, jacobian, offset: float64 numpy arrays; ``point_exact``, ``jacobian_exact``,
            ``offset_exact``: the exact values as Fractions.
        inequalities: the non-redundant inequalities (:class:`Inequality`).
        bounded: whether the region is a bounded polytope.
    """

    __slots__ = ("_wire", "id", "pattern_strings", "bounded", "_cache")

    def __init__(self, wire: dict[str, Any]):
        self._wire = wire
        self.id: int = wire["id"]
        self.pattern_strings: List[str] = list(wire["pattern"])
        self.bounded: bool = bool(wire["bounded"])
        self._cache: dict[str, Any] = {}

    def _cached(self, key: str, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def pattern(self) -> np.ndarray:
        bits = "".join(self.pattern_strings)
        return self._cached("pattern", lambda: np.array([c == "1" for c in bits], dtype=bool))

    @property
    def point(self) -> np.ndarray:
        return self._cached("point", lambda: np.array(self._wire["point_f64"], dtype=np.float64))

    @property
    def point_exact(self) -> List[Fraction]:
        return self._cached("point_exact", lambda: [exact(v) for v in self._wire["point"]])

    @property
    def jacobian(self) -> np.ndarray:
        return self._cached("jacobian", lambda: np.array(self._wire["jacobian_f64"], dtype=np.float64))

    @property
    def jacobian_exact(self) -> List[List[Fraction]]:
        return self._cached("jacobian_exact", lambda: [[exact(v) for v in row] for row in self._wire["jacobian"]])

    @property
    def offset(self) -> np.ndarray:
        return self._cached("offset", lambda: np.array(self._wire["offset_f64"], dtype=np.float64))

    @property
    def offset_exact(self) -> List[Fraction]:
        return self._cached("offset_exact", lambda: [exact(v) for v in self._wire["offset"]])

    @property
    def inequalities(self) -> List[Inequality]:
        def make() -> List[Inequality]:
            return [
                Inequality(
                    a_exact=[exact(v) for v in ineq["a"]],
                    b_exact=exact(ineq["b"]),
                    neurons=[dict(n) for n in ineq.get("neurons", [])],
                    domain_rows=list(ineq.get("domain_rows", [])),
                    facet_point_exact=[exact(v) for v in ineq.get("facet_point", [])],
                )
                for ineq in self._wire["inequalities"]
            ]

        return self._cached("inequalities", make)

    @property
    def A_exact(self) -> List[List[Fraction]]:
        """The inequalities' exact normals as rows: the region is ``A_exact x <= b_exact``."""
        return [i.a_exact for i in self.inequalities]

    @property
    def b_exact(self) -> List[Fraction]:
        return [i.b_exact for i in self.inequalities]

    def _scaled(self) -> tuple:
        """``(A, b)`` with every row scaled to unit Euclidean length. Each exact row is first
        divided by its largest entry (exactly), so no float overflows or underflows however
        large the exact entries are; the positive factor leaves the halfspace unchanged."""
        def make() -> tuple:
            d = len(self._wire["point"])
            rows, rhs = [], []
            for i in self.inequalities:
                m = max((abs(v) for v in i.a_exact), default=Fraction(0)) or Fraction(1)
                a = np.array([float(v / m) for v in i.a_exact], dtype=np.float64)
                n = float(np.linalg.norm(a)) or 1.0
                rows.append(a / n)
                rhs.append(float(i.b_exact / m) / n)
            return np.array(rows, dtype=np.float64).reshape(len(rows), d), np.array(rhs, dtype=np.float64)

        return self._cached("scaled", make)

    @property
    def A(self) -> np.ndarray:
        """The inequalities' normals as rows, in floats, each row scaled to unit length: the
        region is ``A x <= b`` (the exact rows, unscaled: ``A_exact``, ``b_exact``). The exact
        rows can have entries from 1e-7 to 1e20; scaled, a float LP solver (scipy's HiGHS)
        reads them well."""
        return self._scaled()[0]

    @property
    def b(self) -> np.ndarray:
        """The right-hand sides of :attr:`A`'s rows (scaled with them)."""
        return self._scaled()[1]

    @property
    def size(self) -> Optional[dict]:
        """The region's exact size when it was asked for (``regions(sizes=True)``): ``area`` or
        ``volume`` (exact strings, with ``_f64`` twins), ``inradius``, ``ball_center``."""
        return self._wire.get("size")

    def map(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        """The region's affine map at ``x`` (floats): ``jacobian @ x + offset``."""
        return self.jacobian @ np.asarray(x, dtype=np.float64) + self.offset

    def to_dict(self) -> dict[str, Any]:
        """The region as the CLI writes it (``regions --jsonl``)."""
        return dict(self._wire)

    def to_json(self) -> str:
        """The region as one line of ``regions --jsonl`` (exact; :meth:`from_json` reads it)."""
        import json

        return json.dumps(self._wire)

    @classmethod
    def from_json(cls, text: str) -> "Region":
        """A region saved by :meth:`to_json` (or a line of ``regions --jsonl``)."""
        import json

        return cls(json.loads(text))

    def __repr__(self) -> str:
        return (
            f"Region(id={self.id}, pattern={self.pattern_strings}, bounded={self.bounded}, "
            f"facets={len(self._wire['inequalities'])})"
        )
