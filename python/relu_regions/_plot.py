"""Drawing the exact partition of a 2-input network (or of a plane through a higher-dimensional
input) with matplotlib: regions coloured by linear piece, by an output's value or by class, and
the decision boundary. The partition is exact; the drawing is in floats (each region's polygon
and affine map rounded), so shading and boundaries are only as fine as the screen needs."""

from __future__ import annotations

from typing import Any, List, Optional

import numpy as np


class Plotting:
    """``partition`` and ``plot`` (mixed into :class:`~relu_regions.Network`)."""

    def partition(self, domain: Any = None, box: Any = None, threads: Optional[int] = None,
                  max_regions: Optional[int] = None, time_limit: Optional[float] = None,
                  lp: str = "simplex") -> dict:
        """The drawn partition of a 2-input network: each region's polygon (float vertices of the
        exact polygon, counter-clockwise), piece, colour and affine map (``jacobian_f64``,
        ``offset_f64``); on an unbounded domain, clipped to a window chosen like ``plot``'s."""
        from ._network import _wait

        return _wait(self._start("plot", box, domain, threads, max_regions, time_limit, lp))  # type: ignore

    def plot(self, ax: Any = None, domain: Any = None, box: Any = None, threads: Optional[int] = None,
             max_regions: Optional[int] = None, time_limit: Optional[float] = None, lp: str = "simplex",
             edgecolor: str = "black", linewidth: float = 0.5, plane: Any = None, through: Any = None,
             color: str = "piece", boundary: bool = False, output: int = 0, cmap: str = "viridis",
             boundary_color: str = "red", boundary_width: float = 1.5, level: Any = None,
             classes: Optional[bool] = None) -> Any:
        """Draws the exact partition with matplotlib and returns the axes.

        ``plane=(p, u, v)`` or ``through=(a, b, c)`` draw a plane through a higher-dimensional
        input (``plot --plane``/``--through``; the axes are then ``s`` and ``t``, ``box`` bounds
        them). ``color``: ``"piece"`` (linear pieces, as the CLI), ``"output"`` (the value of
        output ``output``, shaded exactly linearly inside each region) or ``"class"`` (the
        argmax of the outputs; a 1-output network: its sign). ``boundary=True`` draws a level
        set exactly (its segments are the exact edges of ``net.boundary(...)``, like ``plot
        --boundary``) in ``boundary_color`` with width ``boundary_width``: ``{y_output = level}``
        when ``level`` is given (or ``output`` is not 0, or ``classes=False``; the level is then
        0 unless given), the argmax ties with ``classes=True``, and by default the decision
        boundary (the argmax ties; a 1-output network: its zero level). A missing output, a level
        that is not a number, or ``classes=True`` beside a level or on one output raise; with
        ``color="class"`` the decision regions are filled by class."""
        net = self
        if plane is not None or through is not None:
            net = self.restrict(plane=plane, through=through, box=box)  # type: ignore
            box = None
        spec = _boundary_spec(net, output, level, classes) if boundary else None
        part = net.partition(domain, box, threads, max_regions, time_limit, lp)
        ax = draw(part, ax, edgecolor, linewidth, color, output, cmap)
        if spec is not None:
            from ._complex import draw_boundary as draw_exact

            run = dict(threads=threads, time_limit=time_limit, lp=lp)
            doc = net.boundary(*spec, domain=domain, box=box, **run)  # type: ignore
            if doc.get("truncation_box") is not None:
                # an unbounded domain: the set's edges in the drawn window
                window = _window(part)
                doc = net.boundary(*spec, box=window, **run) if window else {"segments": []}  # type: ignore
            draw_exact(doc, ax, boundary_color, boundary_width)
        if plane is not None or through is not None:
            ax.set_xlabel("s")
            ax.set_ylabel("t")
        return ax


def _boundary_spec(net: Any, output: int, level: Any, classes: Optional[bool]) -> tuple:
    """``(output, level, classes)`` of ``plot(boundary=True, ...)``, checked before any work."""
    m = net.output_dim
    if classes and level is not None:
        raise ValueError("classes=True draws the argmax ties: give it or a level, not both")
    if classes is None and level is None and output == 0:
        classes = m >= 2
    if classes:
        if m < 2:
            raise ValueError(f"classes=True: ties of the argmax need two outputs or more, the network has {m}")
        return 0, 0, True
    if not isinstance(output, int) or isinstance(output, bool) or not 0 <= output < m:
        raise ValueError(f"output {output!r}: the network has {m} output{'s' if m != 1 else ''}")
    from ._network import exact_text

    exact_text(0 if level is None else level)  # a level that is not a number raises here
    return output, 0 if level is None else level, False


def _window(partition: dict) -> Optional[list]:
    """The box of the drawn polygons (exact Fractions of their float vertices), or ``None``
    when nothing is drawn: where ``plot`` clips the boundary on an unbounded domain."""
    from fractions import Fraction

    points = [p for r in partition["regions"] for p in r["polygon"]]
    if not points:
        return None
    box = []
    for k in range(2):
        lo, hi = min(float(p[k]) for p in points), max(float(p[k]) for p in points)
        if not lo < hi:
            return None
        box.append((Fraction(lo), Fraction(hi)))
    return box


def _values(region: dict, pts: np.ndarray) -> np.ndarray:
    """The region's outputs at the points (rows), floats."""
    j = np.asarray(region["jacobian_f64"], dtype=np.float64)
    c = np.asarray(region["offset_f64"], dtype=np.float64)
    return pts @ j.T + c


def _clip(poly: np.ndarray, g: np.ndarray, h: float) -> np.ndarray:
    """The part of a convex polygon where ``g . x + h >= 0`` (Sutherland-Hodgman)."""
    out: List[np.ndarray] = []
    n = len(poly)
    for k in range(n):
        p, q = poly[k], poly[(k + 1) % n]
        fp, fq = g @ p + h, g @ q + h
        if fp >= 0:
            out.append(p)
        if (fp >= 0) != (fq >= 0):
            out.append(p + (q - p) * (fp / (fp - fq)))
    return np.array(out).reshape(-1, 2)


def _class_cells(region: dict, poly: np.ndarray):
    """The parts of a region's polygon where each class wins: (class, polygon) pairs."""
    j = np.asarray(region["jacobian_f64"], dtype=np.float64)
    c = np.asarray(region["offset_f64"], dtype=np.float64)
    if len(c) == 1:  # one output: its sign
        j, c = np.vstack([np.zeros_like(j[0]), j[0]]), np.array([0.0, c[0]])
    for k in range(len(c)):
        cell = poly
        for i in range(len(c)):
            if i != k and len(cell) >= 3:
                cell = _clip(cell, j[k] - j[i], c[k] - c[i])
        if len(cell) >= 3:
            yield k, cell


def draw(partition: dict, ax: Any = None, edgecolor: str = "black", linewidth: float = 0.5,
         color: str = "piece", output: int = 0, cmap: str = "viridis") -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    if color not in ("piece", "output", "class"):
        raise ValueError(f"color must be \"piece\", \"output\" or \"class\", not {color!r}")
    if ax is None:
        _, ax = plt.subplots()
    regions = [r for r in partition["regions"] if len(r["polygon"]) >= 3]
    polygons = [np.asarray(r["polygon"], dtype=np.float64) for r in regions]
    if color == "piece":
        colours = [r["colour"] for r in regions]
        ax.add_collection(PolyCollection(polygons, facecolors=colours, edgecolors=edgecolor, linewidths=linewidth))
    elif color == "output":
        import matplotlib.tri as mtri

        xs, ys, zs, tris = [], [], [], []
        for r, poly in zip(regions, polygons):
            if not 0 <= output < len(r["offset_f64"]):
                raise ValueError(f"output {output}: the network has {len(r['offset_f64'])} outputs")
            base = len(xs)
            xs += list(poly[:, 0])
            ys += list(poly[:, 1])
            zs += list(_values(r, poly)[:, output])
            tris += [(base, base + k, base + k + 1) for k in range(1, len(poly) - 1)]
        if tris:
            shading = ax.tripcolor(mtri.Triangulation(xs, ys, tris), zs, shading="gouraud", cmap=cmap)
            ax.figure.colorbar(shading, ax=ax, label=f"y{output}")
        ax.add_collection(PolyCollection(polygons, facecolors="none", edgecolors=edgecolor, linewidths=linewidth))
    else:
        palette = plt.get_cmap("tab10")
        cells, colours = [], []
        for r, poly in zip(regions, polygons):
            for k, cell in _class_cells(r, poly):
                cells.append(cell)
                colours.append(palette(k % 10))
        ax.add_collection(PolyCollection(cells, facecolors=colours, edgecolors="none"))
        ax.add_collection(PolyCollection(polygons, facecolors="none", edgecolors=edgecolor, linewidths=linewidth))
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    title = f"{len(partition['regions'])} regions, {partition['pieces']} pieces"
    if not partition["complete"]:
        title += " (INCOMPLETE)"
    ax.set_title(title)
    return ax


def boundary_segments(partition: dict) -> List[np.ndarray]:
    """The decision boundary as float segments (2 x 2 arrays): in each region, the edges of
    its class cells where two classes meet (a 1-output network: its zero level)."""
    segments = []
    for r in partition["regions"]:
        if len(r["polygon"]) < 3:
            continue
        poly = np.asarray(r["polygon"], dtype=np.float64)
        scale = max(1.0, float(np.abs(poly).max()))
        for k, cell in _class_cells(r, poly):
            vals = _values(r, cell)
            if vals.shape[1] == 1:
                vals = np.hstack([np.zeros_like(vals), vals])
            tol = 1e-9 * scale * max(1.0, float(np.abs(vals).max()))
            for a in range(len(cell)):
                b = (a + 1) % len(cell)
                others = [i for i in range(vals.shape[1]) if i != k]
                if any(abs(vals[a, k] - vals[a, i]) <= tol and abs(vals[b, k] - vals[b, i]) <= tol for i in others):
                    if k < min(i for i in others if abs(vals[a, k] - vals[a, i]) <= tol):
                        segments.append(np.array([cell[a], cell[b]]))
    return segments


def draw_boundary(partition: dict, ax: Any, colour: str = "red", linewidth: float = 1.5) -> Any:
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(boundary_segments(partition), colors=colour, linewidths=linewidth))
    return ax
