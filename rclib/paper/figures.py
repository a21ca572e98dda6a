"""Figures in one style, saved as PNG and PDF (TrueType fonts, no creation date: reruns are byte-identical).

Curves over seeds are drawn with seaborn (mean line, a band of one standard deviation over seeds); legends sit
outside the axes; anomaly maps share one absolute colour scale with a colour bar. Every figure is laid out by
matplotlib's constrained layout and returned with its caption (what is plotted, over how many seeds, what the
band is, which axis does not start at zero), which :func:`savefig` (:mod:`rclib.paper.layout`) writes beside it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..runs.run import Run
from .layout import names_text, seeds_text, set_caption, truncated_axes
from .layout import savefig as savefig  # the figures' one way out

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


def _palette(runs: Mapping[str, Sequence[Run]]) -> dict[str, str | tuple]:
    """Each configuration's colour of :data:`COLORS`; other names (variants) one colour each of a seaborn palette."""
    spare = iter(sns.color_palette("colorblind", len(runs)))
    return {label(k): COLORS[k] if k in COLORS else next(spare) for k in runs}


def _legend_outside(ax: plt.Axes, n_seeds: int) -> None:
    handles, labels = ax.get_legend_handles_labels()
    title = f"line: mean of {n_seeds} seeds\nband: +- 1 std" if n_seeds > 1 else "one seed"
    ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)


def _seeds(runs: Mapping[str, Sequence[Run]]) -> str:
    return seeds_text({label(k): len(g) for k, g in runs.items()})


def _lines(frame: pd.DataFrame, y: str, runs: Mapping[str, Sequence[Run]], ax: plt.Axes, **kwargs) -> None:
    """One seaborn line per configuration over ``iteration``, its band one standard deviation over seeds."""
    sns.lineplot(frame, x="iteration", y=y, hue="config", palette=_palette(runs), errorbar="sd", ax=ax, **kwargs)


SMOOTHED = f"a trailing mean over {SMOOTH} iterations (over fewer for the first {SMOOTH - 1})"


def plot_training_curves(runs: Mapping[str, Sequence[Run]], metric: str = "I-AUROC", title: str = "") -> plt.Figure:
    """Fig. 5a: ``metric`` at each evaluation (top) and the training loss of every iteration, smoothed over
    ``SMOOTH`` iterations (bottom); one line per configuration, a band over its seeds."""
    n_seeds = max(len(g) for g in runs.values())
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True, height_ratios=(3, 2), layout="constrained")
    evals = _long(runs, "history", [metric])
    _lines(evals, metric, runs, top, marker="o", markersize=4)
    top.set_ylabel(f"{metric} (%) at each evaluation")
    top.set_title(title)
    _legend_outside(top, n_seeds)
    steps = _long(runs, "steps", ["loss"], smooth=SMOOTH)
    _lines(steps, "loss", runs, bottom, legend=False)
    bottom.set_ylabel(f"training loss\n(mean of {SMOOTH} iterations)")
    bottom.set_xlabel("training iteration")
    names = names_text([label(k) for k in runs])
    return set_caption(
        fig,
        f"{metric} (%) of {names} at each evaluation during training (top) and the training loss of every",
        f"iteration, {SMOOTHED} (bottom).",
        _seeds(runs),
        truncated_axes(fig),
    )


def _bn_note(runs: Mapping[str, Sequence[Run]]) -> str:
    """Why curves of feature diversity start apart although every encoder starts from the same weights."""
    train_bn = [label(k) for k, g in runs.items() if g[0].config.train_encoder and g[0].config.encoder_bn_train]
    eval_bn = [label(k) for k in runs if label(k) not in train_bn]
    if not (train_bn and eval_bn):
        return ""
    return (
        "Every encoder starts from the same pretrained weights, and the first point (iteration 1) is measured in the"
        " forward pass before the first update and is not smoothed; yet the curves start apart: the encoder of"
        f" {names_text(train_bn)} is trained with BatchNorm in train mode (statistics of each batch), the encoder of"
        f" {names_text(eval_bn)} uses BatchNorm in eval mode (the stored ImageNet statistics)."
    )


def _change(frame: pd.DataFrame, column: str) -> str:
    mean = frame.groupby(["config", "iteration"], sort=False)[column].mean()
    change = {k: 100 * (c.iloc[-1] / c.iloc[0] - 1) for k, c in mean.groupby(level="config", sort=False)}
    return "Change of the mean curve from the first to the last iteration: " + ", ".join(
        f"{k} {v:+.0f}%" for k, v in change.items()
    )


def plot_feature_std(runs: Mapping[str, Sequence[Run]], stage: int = 2, title: str = "") -> plt.Figure:
    """Fig. 5b: feature diversity (std of l2-normalised points) of an encoder stage at every iteration,
    smoothed over ``SMOOTH`` iterations, with a band over seeds. The y axis is zoomed on the curves (it does not
    start at zero); the caption says so and gives each curve's relative change."""
    n_seeds = max(len(g) for g in runs.values())
    fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
    column = f"std_stage{stage}"
    frame = _long(runs, "steps", [column], smooth=SMOOTH)
    _lines(frame, column, runs, ax)
    ax.set_xlabel("training iteration")
    ax.set_ylabel(f"feature std, encoder stage {stage}\n(mean of {SMOOTH} iterations)")
    ax.set_title(title)
    _legend_outside(ax, n_seeds)
    return set_caption(
        fig,
        f"Feature diversity of encoder stage {stage} (the standard deviation of its l2-normalised feature vectors)",
        f"of {names_text([label(k) for k in runs])} at every training iteration, {SMOOTHED}.",
        _seeds(runs),
        _bn_note(runs),
        _change(frame, column) + ".",
        truncated_axes(fig),
    )


def plot_score_distributions(scores: pd.DataFrame, title: str = "") -> plt.Figure:
    """Image scores S^img of normal and defective test images, one panel per model (``scores`` has columns
    ``model``, ``score``, ``label``)."""
    models = list(dict.fromkeys(scores.model))
    fig, axes = plt.subplots(1, len(models), figsize=(3.4 * len(models), 2.9), squeeze=False, layout="constrained")
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
    counts = scores.groupby("model", sort=False).label.agg(["size", "sum"]).iloc[0]
    return set_caption(
        fig,
        f"Histograms of the image score S^img (the maximum of S^map) of the {counts['size'] - counts['sum']} normal",
        f"and {counts['sum']} defective test images, one panel per model ({names_text(models)}); densities, each class",
        "normalised on its own.",
        truncated_axes(fig),
    )


def plot_results_heatmap(table: pd.DataFrame, title: str = "") -> plt.Figure:
    """A table of results (rows: configurations, columns: metrics) as a heatmap with the numbers written in."""
    fig, ax = plt.subplots(figsize=(1.1 * table.shape[1] + 2.6, 0.36 * table.shape[0] + 1.6), layout="constrained")
    sns.heatmap(table, annot=True, fmt=".1f", cmap="RdYlGn", cbar_kws={"label": "% (colour)"}, ax=ax)
    ax.set_xticks(ax.get_xticks(), [textwrap.fill(str(c), 12) for c in table.columns], rotation=0, fontsize=8)
    ax.tick_params(axis="y", labelrotation=0)
    ax.grid(False)
    ax.set_title(title)
    ax.set_ylabel("")
    lo, hi = float(np.nanmin(table.to_numpy())), float(np.nanmax(table.to_numpy()))
    zero = ": the colour scale does not start at zero." if lo > 0 else "."
    return set_caption(
        fig,
        f"One row per configuration ({', '.join(map(str, table.index))}), one column per measure; each cell's value",
        f"(%) is written in, its colour runs from red (lowest, {lo:.1f}) to green (highest, {hi:.1f}){zero}",
    )
