"""The paper's map figures: anomaly maps over their images (Fig. 5c, A1), the six distance maps of Fig. 2b and the
S^map landscape of Fig. 4. Maps that share a colour scale share one colour bar."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import MaxNLocator

from ..data import ImageDataset, denormalize
from ..runs.run import Run
from ..scoring.anomaly_map import score
from .figures import COLORS, label
from .landscape import Landscape
from .layout import caption_of, names_text, set_caption, truncated_axes


def _bare(axes: np.ndarray) -> None:
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)


def plot_anomaly_gallery(
    images: Sequence[torch.Tensor],
    masks: Sequence[torch.Tensor],
    maps: Mapping[str, np.ndarray],
    titles: Sequence[str] | None = None,
) -> plt.Figure:
    """Fig. 5c / A1: images (normal and defective) with their ground truth and, per model, S^map on one
    absolute colour scale shared by every panel (no per-image normalisation), with its colour bar."""
    n, rows = len(images), 2 + len(maps)
    lo = min(float(m.min()) for m in maps.values())
    hi = max(float(m.max()) for m in maps.values())
    fig, axes = plt.subplots(rows, n, figsize=(1.7 * n + 1.2, 1.7 * rows), squeeze=False, layout="constrained")
    shown = None
    for j in range(n):
        axes[0, j].imshow(denormalize(images[j]))
        axes[0, j].set_title(titles[j] if titles else "", fontsize=8)
        axes[1, j].imshow(np.asarray(masks[j]), cmap="gray", vmin=0, vmax=1)
        for i, m in enumerate(maps.values(), start=2):
            shown = axes[i, j].imshow(m[j], cmap="jet", vmin=lo, vmax=hi)
    names = ["image", "ground\ntruth", *[f"S$^{{map}}$\n{textwrap.fill(k, 14)}" for k in maps]]
    for i, name in enumerate(names):
        axes[i, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    _bare(axes)
    bar = fig.colorbar(shown, ax=axes[2:, :].ravel().tolist(), fraction=0.05, shrink=0.9)
    bar.set_label("S$^{map}$, one scale\nfor every panel", fontsize=8)
    return set_caption(
        fig,
        f"Top row: {n} test images" + (f" ({', '.join(titles)})" if titles else "") + ";",
        "second row: their ground-truth masks (white: defect);",
        f"below, one row per model ({names_text(list(maps))}): the anomaly map S^map on one absolute colour scale",
        f"shared by every panel, {lo:.3g} to {hi:.3g} (jet: blue low, red high), without per-image normalisation.",
    )


def anomaly_gallery(runs: Mapping[str, Run], test: ImageDataset, n: int) -> plt.Figure:
    """Anomaly maps of each run on ``n`` images of ``test``: a third of them normal, the rest defective, one defect
    type after another; every map on one colour scale (:func:`plot_anomaly_gallery`)."""
    labels, kinds = test.labels, test.kinds
    normal = [i for i in range(len(test)) if not labels[i]]
    by_type: dict[str, list[int]] = {}
    for i in (i for i in range(len(test)) if labels[i]):
        by_type.setdefault(kinds[i], []).append(i)
    defective = [idx for group in zip(*by_type.values(), strict=False) for idx in group]
    n_normal = max(1, n // 3)
    samples = [test[i] for i in normal[:n_normal] + defective[: n - n_normal]]
    images = torch.stack([s.image for s in samples])
    maps = {name: score(r.model, images)[0].cpu().numpy() for name, r in runs.items()}
    titles = [Path(s.path).parent.name for s in samples]
    fig = plot_anomaly_gallery([s.image for s in samples], [s.mask for s in samples], maps, titles)
    seeds = "; ".join(
        name + ("" if name == label(r.config.name) else f": {label(r.config.name)}") + f", seed {r.config.seed}"
        for name, r in runs.items()
    )
    return set_caption(fig, caption_of(fig), f"One trained run per model ({seeds}).")


def plot_distance_maps(
    images: Sequence[torch.Tensor],
    masks: Sequence[torch.Tensor],
    maps: Sequence[Sequence[np.ndarray]],
    *,
    names: Sequence[str],
    titles: Sequence[str],
) -> plt.Figure:
    """Fig. 2b: the regional distance map of each encoder/decoder pair, one row per image (a normal one beside a
    defective one), every map on one colour scale."""
    rows, cols = len(images), len(names) + 2
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols + 0.8, 2.1 * rows), squeeze=False, layout="constrained")
    hi = max(float(m.max()) for row in maps for m in row)
    shown = None
    for r in range(rows):
        axes[r, 0].imshow(denormalize(images[r]))
        axes[r, 0].set_ylabel(titles[r], fontsize=8)
        axes[r, 1].imshow(np.asarray(masks[r]), cmap="gray", vmin=0, vmax=1)
        for ax, m in zip(axes[r, 2:], maps[r], strict=True):
            shown = ax.imshow(m, cmap="jet", vmin=0, vmax=hi)
    for c, name in enumerate(["image", "ground truth", *names]):
        axes[0, c].set_title(name, fontsize=8)
    _bare(axes)
    bar = fig.colorbar(shown, ax=axes[:, 2:].ravel().tolist(), fraction=0.05)
    bar.set_label("1 - cos (Eq. 1),\none scale for every panel", fontsize=8)
    return set_caption(
        fig,
        f"One row per test image ({names_text(list(titles))}): the image, its ground-truth mask (white: defect) and",
        f"the regional distance map 1 - cos (Eq. 1) of each encoder/decoder feature pair ({', '.join(names)}), all on",
        f"one colour scale from 0 to {hi:.3g} (jet: blue low, red high).",
    )


def plot_landscapes(landscapes: Mapping[str, Landscape], title: str = "") -> plt.Figure:
    """Fig. 4: S^map over a random plane through the trained weights, one contour panel per model on one colour
    scale (trained weights marked), and 1-D slices through the trained weights along both directions on the same
    range. Offsets are fractions of the weights' norm ||theta||, the same units in every panel."""
    names = list(landscapes)
    lo = min(float(landscapes[k].values.min()) for k in names)
    hi = max(float(landscapes[k].values.max()) for k in names)
    levels = np.linspace(lo, hi, 16)
    n = len(names)
    fig, axes = plt.subplots(1, n + 1, figsize=(3.2 * n + 5.6, 3.6), width_ratios=[1] * n + [1.3], layout="constrained")
    shown = None
    for ax, name in zip(axes, names, strict=False):
        ls = landscapes[name]
        shown = ax.contourf(ls.axis_two, ls.axis_one, ls.values, levels=levels, cmap="viridis")
        ax.plot(0, 0, marker="+", color="white", markersize=12, mew=2)
        ax.set_xlabel("direction 2 (fraction of ||θ||)")
        ax.set_title(name, fontsize=9)
        ax.grid(False)
    axes[0].set_ylabel("direction 1 (fraction of ||θ||)")
    bar = fig.colorbar(shown, ax=list(axes[:n]), fraction=0.05, ticks=MaxNLocator(6))
    bar.set_label("mean S$^{map}$ on the plane")
    slices = axes[-1]
    for name in names:
        ls = landscapes[name]
        colour = COLORS.get(name.split()[1] if name.startswith("Config") else name, None)
        row = int(np.argmin(np.abs(ls.axis_one)))
        col = int(np.argmin(np.abs(ls.axis_two)))
        slices.plot(ls.axis_one, ls.values[:, col], color=colour, label=f"{name}, direction 1")
        slices.plot(ls.axis_two, ls.values[row], color=colour, linestyle="--", label=f"{name}, direction 2")
    slices.axvline(0, color="grey", linewidth=0.8)
    slices.set_ylim(lo, hi)
    slices.set_xlabel("offset from the trained weights\n(fraction of ||θ||)")
    slices.set_ylabel("mean S$^{map}$ along the slice")
    slices.set_title("slices through the trained weights", fontsize=9)
    slices.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.suptitle(title)
    return set_caption(
        fig,
        "Mean S^map over a fixed batch of normal training images on a random plane through the trained weights of",
        f"the bottleneck and decoder, one contour panel per model ({names_text(names)}, one trained run each) on",
        f"one colour scale ({lo:.3g} to {hi:.3g}); +: the trained weights. Right: slices through the trained weights",
        "along direction 1 (solid) and direction 2 (dashed), on the range of the colour scale. Offsets are fractions",
        "of the weights' norm ||θ||.",
        truncated_axes(fig),
    )
