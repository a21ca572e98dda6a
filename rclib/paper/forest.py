"""One picture of the whole reproduction: every claim part's estimate and interval against what the paper
predicts, coloured by its verdict (a forest plot, one row per part, each on its own scale)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .layout import set_caption

VERDICT_COLORS = {"reproduced": "#1b7837", "not reproduced": "#c51b7d", "inconclusive": "#878787"}


def _boundary(row: pd.Series) -> tuple[float, float] | float:
    """Where the paper's prediction starts: 0 for an effect, -tolerance for "at least as good" (+tolerance where
    the paper predicts ``d`` below it), the band (-tolerance, tolerance) for "changes little" (in ``d``'s units)."""
    if row.rule == "within":
        return (-row.tolerance, row.tolerance)
    flip = -1.0 if row.predicts == "below" else 1.0
    return -row.tolerance * flip if row.rule == "at_least" else 0.0


def plot_forest(claims: pd.DataFrame, title: str = "") -> plt.Figure:
    """Every row of a claims table (``rclib.paper.claims.COLUMNS``): ``d``'s mean (dot) and the interval the
    rule read (bar), the boundary of the paper's prediction (dashed line, or a band for "changes little") and the
    side it predicts (shaded), one panel per claim part, each on its own scale, coloured by verdict."""
    n = len(claims)
    fig, axes = plt.subplots(n, 1, figsize=(7.0, 0.62 * n + 1.1), squeeze=False, layout="constrained")
    for ax, row in zip(axes[:, 0], claims.itertuples(index=False), strict=True):
        colour = VERDICT_COLORS.get(row.verdict, "black")
        bound = _boundary(pd.Series(row._asdict()))
        low, high = row.ci_low, row.ci_high
        points = [row.observed_mean, *(v for v in (low, high) if np.isfinite(v))]
        points += list(bound) if isinstance(bound, tuple) else [bound]
        span = max(points) - min(points) or 1.0
        left, right = min(points) - 0.15 * span, max(points) + 0.15 * span
        if isinstance(bound, tuple):
            ax.axvspan(*bound, color="#d9f0d3", zorder=0)
            for b in bound:
                ax.axvline(b, color="black", linestyle="--", linewidth=0.8)
        else:
            predicted = (bound, right) if row.predicts == "above" else (left, bound)
            ax.axvspan(*predicted, color="#d9f0d3", zorder=0)
            ax.axvline(bound, color="black", linestyle="--", linewidth=0.8)
        if np.isfinite(low):
            ax.plot([low, high], [0, 0], color=colour, linewidth=3)
        ax.plot(row.observed_mean, 0, "o", color=colour, markersize=6)
        ax.set_xlim(left, right)
        ax.set_yticks([0], [f"{row.claim}"])
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(False)
        ax.set_ylim(-1, 1)
        ax.text(
            1.01,
            0.5,
            f"{row.verdict} ({row.n_seeds} seeds)",
            transform=ax.transAxes,
            va="center",
            fontsize=7,
            color=colour,
        )
    axes[-1, 0].set_xlabel("d, each panel in its claim's own units (bar: the rule's interval; green: the paper's side)")
    if title:
        fig.suptitle(title, fontsize=10)
    levels = sorted({f"{lv:.0%}" for lv in claims.ci_level.dropna()})
    return set_caption(
        fig,
        f"Every claim part of the analysis plan ({n} parts): the mean per-seed difference d (dot) and the interval "
        f"the rule reads (bar: {' or '.join(levels)} Student-t, widened by the test-sampling error where measured), "
        "over each claim's seeds (the count is printed on the right). Dashed: the boundary of the paper's prediction; "
        "green: the side (or band) it predicts. Each panel has its own x axis in the claim's units; none starts at "
        "zero.",
    )


def plot_budget(table: pd.DataFrame, parts: tuple[str, ...] = ("C3a", "C3b", "C4"), title: str = "") -> plt.Figure:
    """The budget study (:func:`rclib.paper.budget.budget_table`): each part's mean ``d`` and the rule's interval
    after each training budget, one line per encoder learning rate, with the boundary of the paper's prediction."""
    fig, axes = plt.subplots(1, len(parts), figsize=(3.4 * len(parts), 3.2), squeeze=False, layout="constrained")
    boundaries = {"C3a": -1.0, "C3b": -1.0, "C4": 0.0}
    units = {
        "C3a": "I-AUROC, ReContrast - B (points)",
        "C3b": "AUPRO, ReContrast - B (points)",
        "C4": "ratio, E - ReContrast",
    }
    for ax, part in zip(axes[0], parts, strict=True):
        rows = table[table.claim == part]
        for (which, lr), group in rows.groupby(["learning rate", "encoder_lr"], sort=False):
            g = group.sort_values("budget")
            err = np.vstack([g["mean"] - g.ci_low, g.ci_high - g["mean"]])
            ax.errorbar(g.budget, g["mean"], yerr=err, marker="o", capsize=3, label=f"encoder lr {lr:g} ({which})")
        ax.axhline(boundaries.get(part, 0.0), color="black", linestyle="--", linewidth=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(rows.budget.unique()), [str(b) for b in sorted(rows.budget.unique())])
        ax.set_xlabel("training iterations")
        ax.set_ylabel(units.get(part, "d"))
        ax.set_title(part, fontsize=9)
    axes[0, -1].legend(
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        fontsize=7,
        title="mean; bar: the rule's interval\ndashed: the boundary",
        title_fontsize=7,
    )
    if title:
        fig.suptitle(title, fontsize=10)
    seeds = ", ".join(f"{p}: {int(table[table.claim == p].n_seeds.max())}" for p in parts)
    return set_caption(
        fig,
        f"The budget study: each part's mean per-seed difference after 200-1,600 training iterations (log axis), at "
        f"the profile's and the paper's encoder learning rate; bars: the rule's Student-t interval over the seeds "
        f"({seeds}); dashed: the boundary of the paper's prediction. Each budget is the same run after that many "
        "iterations. The y axes do not start at zero.",
    )
