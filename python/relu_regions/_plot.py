"""Matplotlib drawing of a 2-input network's exact partition."""

from __future__ import annotations

from typing import Any


def draw(partition: dict, ax: Any = None, edgecolor: str = "black", linewidth: float = 0.5) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    if ax is None:
        _, ax = plt.subplots()
    polygons = [r["polygon"] for r in partition["regions"] if len(r["polygon"]) >= 3]
    colours = [r["colour"] for r in partition["regions"] if len(r["polygon"]) >= 3]
    ax.add_collection(PolyCollection(polygons, facecolors=colours, edgecolors=edgecolor, linewidths=linewidth))
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    title = f"{len(partition['regions'])} regions, {partition['pieces']} pieces"
    if not partition["complete"]:
        title += " (INCOMPLETE)"
    ax.set_title(title)
    return ax
