"""An anomaly map drawn over its image, with a colour bar that marks the decision threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # no pyplot: the global backend (a notebook's, say) is left alone


def overlay_figure(
    image: np.ndarray,
    amap: np.ndarray,
    *,
    vmin: float,
    vmax: float,
    title: str,
    threshold: float | None = None,
) -> Figure:
    """``image`` (H x W x 3 in [0, 1]) with S^map ``amap`` over it. The colour scale runs from ``vmin`` to
    ``vmax``, the same for every image of a batch so that maps compare across images; ``threshold`` (in S^img
    units: the map's maximum for the paper's image score) is a black line on the bar."""
    fig = Figure(figsize=(3.6, 3.0), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(image)
    shown = ax.imshow(amap, cmap="jet", alpha=0.5, vmin=vmin, vmax=vmax)
    ax.set_axis_off()
    ax.set_title(title, fontsize=8)
    bar = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
    label = "S$^{map}$ (anomaly score)"
    if threshold is not None and vmin <= threshold <= vmax:
        bar.ax.axhline(threshold, color="black", linewidth=2)
        label += "\nblack line: threshold"
    bar.set_label(label, fontsize=7)
    return fig


def save_overlay(
    image: np.ndarray,
    amap: np.ndarray,
    path: Path,
    *,
    vmin: float,
    vmax: float,
    title: str,
    threshold: float | None = None,
) -> None:
    """Write :func:`overlay_figure` to ``path`` (PNG)."""
    fig = overlay_figure(image, amap, vmin=vmin, vmax=vmax, title=title, threshold=threshold)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
