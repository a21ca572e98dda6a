"""Figures in one style, saved as PNG and PDF (TrueType fonts, no creation date: reruns are byte-identical).

Curves over seeds are drawn with seaborn (mean line, a band of one standard deviation over seeds); legends sit
outside the axes; anomaly maps share one absolute colour scale with a colour bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from ..data import ImageDataset, denormalize
from ..runs.run import Run
from ..scoring.anomaly_map import score
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
SMOOTH = 10  # iterations in the rolling mean of per-step curves (loss, feature std)


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


def label(name: str) -> str:
    return f"Config {name}" if len(name) <= 4 else name


def _long(runs: Mapping[str, Sequence[Run]], table: str, columns: Sequence[str], smooth: int = 0) -> pd.DataFrame:
    """One frame of ``table`` ("history" or "steps") rows of every run, with its configuration and seed."""
    parts = []
    for name, group in runs.items():
        for run in group:
            frame = getattr(run, table)[["iteration", *columns]].copy()
            if smooth:
                frame[list(columns)] = frame[list(columns)].rolling(smooth, min_periods=1).mean()
            parts.append(frame.assign(config=label(name), seed=run.config.seed))
    return pd.concat(parts, ignore_index=True)


def _palette(runs: Mapping[str, Sequence[Run]]) -> dict[str, str]:
    return {label(k): COLORS.get(k, "black") for k in runs}


def _legend_outside(ax: plt.Axes, n_seeds: int) -> None:
    handles, labels = ax.get_legend_handles_labels()
    title = f"line: mean of {n_seeds} seeds\nband: +- 1 std" if n_seeds > 1 else "one seed"
    ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)


def plot_training_curves(runs: Mapping[str, Sequence[Run]], metric: str = "I-AUROC", title: str = "") -> plt.Figure:
    """Fig. 5a: ``metric`` at each evaluation (top) and the training loss of every iteration, smoothed over
    ``SMOOTH`` iterations (bottom); one line per configuration, a band over its seeds."""
    n_seeds = max(len(g) for g in runs.values())
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True, height_ratios=(3, 2))
    evals = _long(runs, "history", [metric])
    sns.lineplot(
        evals,
        x="iteration",
        y=metric,
        hue="config",
        palette=_palette(runs),
        errorbar="sd",
        marker="o",
        markersize=4,
        ax=top,
    )
    top.set_ylabel(f"{metric} (%) at each evaluation")
    top.set_title(title)
    _legend_outside(top, n_seeds)
    steps = _long(runs, "steps", ["loss"], smooth=SMOOTH)
    sns.lineplot(
        steps, x="iteration", y="loss", hue="config", palette=_palette(runs), errorbar="sd", ax=bottom, legend=False
    )
    bottom.set_ylabel(f"training loss\n(mean of {SMOOTH} iterations)")
    bottom.set_xlabel("training iteration")
    fig.tight_layout()
    return fig


def plot_feature_std(runs: Mapping[str, Sequence[Run]], stage: int = 2, title: str = "") -> plt.Figure:
    """Fig. 5b: feature diversity (std of l2-normalised points) of an encoder stage at every iteration,
    smoothed over ``SMOOTH`` iterations, with a band over seeds."""
    n_seeds = max(len(g) for g in runs.values())
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    column = f"std_stage{stage}"
    frame = _long(runs, "steps", [column], smooth=SMOOTH)
    sns.lineplot(frame, x="iteration", y=column, hue="config", palette=_palette(runs), errorbar="sd", ax=ax)
    ax.set_xlabel("training iteration")
    ax.set_ylabel(f"feature std, encoder stage {stage}\n(mean of {SMOOTH} iterations)")
    ax.set_title(title)
    _legend_outside(ax, n_seeds)
    fig.tight_layout()
    return fig


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
    fig, axes = plt.subplots(rows, n, figsize=(1.7 * n + 0.9, 1.7 * rows), squeeze=False)
    shown = None
    for j in range(n):
        axes[0, j].imshow(denormalize(images[j]))
        axes[0, j].set_title(titles[j] if titles else "", fontsize=8)
        axes[1, j].imshow(np.asarray(masks[j]), cmap="gray", vmin=0, vmax=1)
        for i, m in enumerate(maps.values(), start=2):
            shown = axes[i, j].imshow(m[j], cmap="jet", vmin=lo, vmax=hi)
    names = ["image", "ground truth", *[f"S$^{{map}}$\n{k}" for k in maps]]
    for i, name in enumerate(names):
        axes[i, 0].set_ylabel(name, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.tight_layout()
    bar = fig.colorbar(shown, ax=axes[2:, :].ravel().tolist(), fraction=0.03, pad=0.02)
    bar.set_label("S$^{map}$ (same scale in every panel)", fontsize=8)
    return fig


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
    return plot_anomaly_gallery([s.image for s in samples], [s.mask for s in samples], maps, titles)


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
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols + 0.6, 2.1 * rows), squeeze=False)
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
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    bar = fig.colorbar(shown, ax=axes[:, 2:].ravel().tolist(), fraction=0.02, pad=0.02)
    bar.set_label("1 - cos (Eq. 1), same scale in every panel", fontsize=8)
    return fig


def plot_score_distributions(scores: pd.DataFrame, title: str = "") -> plt.Figure:
    """Image scores S^img of normal and defective test images, one panel per model (``scores`` has columns
    ``model``, ``score``, ``label``)."""
    models = list(dict.fromkeys(scores.model))
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 2.8), squeeze=False)
    for ax, model in zip(axes[0], models, strict=True):
        part = scores[scores.model == model].assign(image=lambda d: d.label.map({0: "normal", 1: "defective"}))
        sns.histplot(
            part,
            x="score",
            hue="image",
            hue_order=["normal", "defective"],
            element="step",
            stat="density",
            common_norm=False,
            ax=ax,
            palette={"normal": "#4d9221", "defective": "#c51b7d"},
        )
        ax.set_title(model)
        ax.set_xlabel("S$^{img}$ (max of S$^{map}$)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_landscapes(landscapes: Mapping[str, Landscape], title: str = "") -> plt.Figure:
    """Fig. 4: S^map over a random plane through the trained weights, one contour panel per model on one colour
    scale (trained weights marked), and 1-D slices through the trained weights along both directions. Offsets
    are fractions of the weights' norm ||theta||, the same units in every panel."""
    names = list(landscapes)
    lo = min(float(landscapes[k].values.min()) for k in names)
    hi = max(float(landscapes[k].values.max()) for k in names)
    levels = np.linspace(lo, hi, 16)
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(3.5 * (len(names) + 1) + 0.8, 3.3))
    shown = None
    for ax, name in zip(axes, names, strict=False):
        ls = landscapes[name]
        shown = ax.contourf(ls.axis_two, ls.axis_one, ls.values, levels=levels, cmap="viridis")
        ax.plot(0, 0, marker="+", color="white", markersize=12, mew=2, label="trained weights")
        ax.set_xlabel("direction 2 (fraction of ||θ||)")
        ax.set_ylabel("direction 1 (fraction of ||θ||)")
        ax.set_title(name, fontsize=9)
        ax.grid(False)
    fig.colorbar(shown, ax=list(axes[: len(names)]), fraction=0.03, pad=0.02).set_label("mean S$^{map}$")
    slices = axes[-1]
    for name in names:
        ls = landscapes[name]
        colour = COLORS.get(name.split()[1] if name.startswith("Config") else name, None)
        row = int(np.argmin(np.abs(ls.axis_one)))
        col = int(np.argmin(np.abs(ls.axis_two)))
        slices.plot(ls.axis_one, ls.values[:, col], color=colour, label=f"{name}, direction 1")
        slices.plot(ls.axis_two, ls.values[row], color=colour, linestyle="--", label=f"{name}, direction 2")
    slices.axvline(0, color="grey", linewidth=0.8)
    slices.set_xlabel("offset from the trained weights (fraction of ||θ||)")
    slices.set_ylabel("mean S$^{map}$")
    slices.set_title("slices through the trained weights", fontsize=9)
    slices.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.suptitle(title)
    return fig


def plot_results_heatmap(table: pd.DataFrame, title: str = "") -> plt.Figure:
    """A table of results (rows: configurations, columns: metrics) as a heatmap with the numbers written in."""
    fig, ax = plt.subplots(figsize=(1.3 * table.shape[1] + 2.5, 0.42 * table.shape[0] + 1.2))
    sns.heatmap(table, annot=True, fmt=".1f", cmap="RdYlGn", cbar_kws={"label": "%"}, ax=ax)
    ax.set_title(title)
    ax.set_ylabel("")
    fig.tight_layout()
    return fig
