"""Figures in one style, saved as PNG and PDF (TrueType fonts, no creation date: reruns are byte-identical)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..data.folders import denormalize
from .landscape import Landscape

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.hashsalt": "rclib",
}
# one colour per configuration, used by every figure (Fig. 5's purple A, blue B, orange C, ...)
COLORS = {
    "A": "#7b3294",
    "B": "#2166ac",
    "B+hm": "#67a9cf",
    "C": "#e66101",
    "D": "#1b7837",
    "C+cp": "#fdb863",
    "E-gl": "#b2abd2",
    "E": "#d6604d",
    "ReContrast": "#b2182b",
}


def apply_style() -> None:
    """Use the rclib figure style for everything plotted afterwards."""
    plt.rcParams.update(STYLE)


def savefig(fig: plt.Figure, name: str, out_dir: str | Path) -> list[Path]:
    """Save ``fig`` as ``<out_dir>/<name>.png`` and ``.pdf`` deterministically; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.pdf"]
    fig.savefig(paths[0], metadata={"Software": None}, bbox_inches="tight")
    fig.savefig(paths[1], metadata={"CreationDate": None, "Producer": None, "Creator": None}, bbox_inches="tight")
    return paths


def plot_training_curves(histories: Mapping[str, pd.DataFrame], metric: str = "I-AUROC", title: str = "") -> plt.Figure:
    """Fig. 5a: ``metric`` (solid, left axis) and training loss (dotted, right axis) against iteration."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    loss_ax = ax.twinx()
    loss_ax.grid(False)
    for name, h in histories.items():
        color = COLORS.get(name)
        ax.plot(h["iteration"], h[metric], "-o", ms=3, color=color, label=f"Config {name}" if len(name) <= 4 else name)
        loss_ax.plot(h["iteration"], h["loss"], ":", color=color)
    ax.set_xlabel("training iteration")
    ax.set_ylabel(f"{metric} (%) — solid")
    loss_ax.set_ylabel("training loss — dotted")
    loss_ax.spines["right"].set_visible(True)
    ax.legend(loc="lower right")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_feature_std(steps: Mapping[str, pd.DataFrame], stage: int = 2, smooth: int = 5, title: str = "") -> plt.Figure:
    """Fig. 5b: feature diversity (std of l2-normalised points) of an encoder stage per iteration."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for name, s in steps.items():
        y = s[f"std_stage{stage}"].rolling(smooth, min_periods=1).mean()
        ax.plot(s["iteration"], y, color=COLORS.get(name), label=f"Config {name}" if len(name) <= 4 else name)
    ax.set_xlabel("training iteration")
    ax.set_ylabel(f"feature std, encoder stage {stage}")
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_anomaly_gallery(
    images: Sequence[torch.Tensor],
    masks: Sequence[torch.Tensor],
    maps: Mapping[str, np.ndarray],
    titles: Sequence[str] | None = None,
) -> plt.Figure:
    """Fig. 5c / A1: images with their ground truth and, per model, S^map (min-max normalised per image,
    as the paper's figures are)."""
    n, rows = len(images), 2 + len(maps)
    fig, axes = plt.subplots(rows, n, figsize=(1.6 * n, 1.7 * rows), squeeze=False)
    for j in range(n):
        axes[0, j].imshow(denormalize(images[j]))
        axes[0, j].set_title(titles[j] if titles else "", fontsize=8)
        axes[1, j].imshow(np.asarray(masks[j]), cmap="gray", vmin=0, vmax=1)
        for i, m in enumerate(maps.values(), start=2):
            a = m[j]
            axes[i, j].imshow(denormalize(images[j]), alpha=1.0)
            axes[i, j].imshow((a - a.min()) / (np.ptp(a) + 1e-12), cmap="jet", alpha=0.5, vmin=0, vmax=1)
    labels = ["image", "ground truth", *[f"S$^{{map}}$ {k}" for k in maps]]
    for i, label in enumerate(labels):
        axes[i, 0].set_ylabel(label, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.tight_layout()
    return fig


def plot_landscapes(landscapes: Mapping[str, Landscape], title: str = "") -> plt.Figure:
    """Fig. 4: S^map over a random 2-D plane of parameter space, one panel per model, shared colour scale."""
    names = list(landscapes)
    lo = min(float(landscapes[k].values.min()) for k in names)
    hi = max(float(landscapes[k].values.max()) for k in names)
    fig, axes = plt.subplots(
        1, len(names), figsize=(3.6 * len(names), 3.2), squeeze=False, subplot_kw={"projection": "3d"}
    )
    for ax, name in zip(axes[0], names, strict=True):
        ls = landscapes[name]
        x, y = np.meshgrid(ls.axis_two, ls.axis_one)
        ax.plot_surface(x, y, ls.values, cmap="viridis", vmin=lo, vmax=hi, linewidth=0, antialiased=True)
        ax.set_zlim(lo, hi)
        ax.set_xlabel("direction 2 (steps)", fontsize=8)
        ax.set_ylabel("direction 1 (steps)", fontsize=8)
        ax.set_zlabel("mean S$^{map}$", fontsize=8)
        ax.set_title(name)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
