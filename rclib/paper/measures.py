"""What a claim measures on one run, and how far the test set's sampling moves it.

Each quantity reads a finished run: its last metrics, its per-iteration feature std, its last evaluation's
per-image table (``run.test_images``: S^img and the S^map sums over normal and defect pixels of every test image)
or the S^map landscape around its weights. The test-sampling errors resample the test images with a paired,
stratified bootstrap: the same images for every run of a comparison, normal and defective images apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy.stats import f as f_distribution

from ..runs.run import Run
from .landscape import Landscape, cached_landscape
from .stats import auroc_differences, bootstrap_indices

RESAMPLES = 1000  # bootstrap resamples of the test images (fixed seed: the same resamples every time)


def last(run: Run, metric: str = "I-AUROC") -> float:
    """The metric at the run's last evaluation (the paper reports the last, not the best)."""
    return float(run.metrics["last"][metric])


def relative_std_change(run: Run, stage: int = 2) -> float:
    """Fig. 5b's feature diversity of encoder stage ``stage``: its mean over the last tenth of training
    relative to its mean over the first five iterations, minus 1 (-0.25: a quarter of the diversity lost)."""
    std = run.steps[f"std_stage{stage}"].to_numpy()
    tail = max(len(std) // 10, 1)
    return float(std[-tail:].mean() / std[:5].mean() - 1.0)


RATIO_RISE = 0.05  # a rise of the normal/defect ratio that counts: the smallest change C4 is powered to see
FALL_POINTS = 3.0  # a fall that counts: the curve points score a fifth of the test set, a few points of noise each


def after_the_peak(runs: dict[str, Sequence[Run]], metric: str = "I-AUROC") -> pd.DataFrame:
    """The "identical shortcut" of Sec. 2.4 (a decoder that learns to reconstruct defects as well as normal
    regions), read off each run's evaluations during training: where ``metric`` peaked (the last evaluation at the
    best value, as training's best is picked), how far it fell from the peak to the last evaluation, and the
    normal/defect S^map ratio (Fig. 5c as a number) at the peak and at the end. A shortcut shows as a fall after the
    peak with the ratio rising towards 1 (defects no hotter than normal pixels). One row per preset and seed."""
    rows = []
    for preset, seeds in runs.items():
        for run in seeds:
            h = run.history.sort_values("iteration").reset_index(drop=True)
            if h.empty or "normal/defect" not in h:
                raise ValueError(
                    f"run {run.out} has no evaluations with pixel masks during training (history.csv needs "
                    f"{metric} and normal/defect): the shortcut is read off them"
                )
            peak = h.iloc[int(np.flatnonzero(h[metric].to_numpy() == h[metric].max())[-1])]
            end = h.iloc[-1]
            rows.append(
                {
                    "preset": preset,
                    "seed": run.config.seed,
                    "peak at": int(peak.iteration),
                    f"peak {metric}": float(peak[metric]),
                    f"last {metric}": float(end[metric]),
                    "fall": float(peak[metric] - end[metric]),
                    "normal/defect at peak": float(peak["normal/defect"]),
                    "normal/defect at end": float(end["normal/defect"]),
                }
            )
    return pd.DataFrame(rows)


def shortcut_words(
    table: pd.DataFrame, preset: str = "D", points: float = FALL_POINTS, rise: float = RATIO_RISE
) -> str:
    """What :func:`after_the_peak` found for ``preset``, in words chosen by its numbers: in how many seeds the
    metric fell by more than ``points`` after its peak, and in how many of those the normal/defect ratio rose by
    more than ``rise``. Only a fall with that rise in every seed is called the shortcut's signature."""
    rows = table[table.preset == preset]
    if rows.empty:
        raise ValueError(f"no runs of {preset!r} in the table; presets: {', '.join(table.preset.unique())}")
    fell = rows[rows.fall > points]
    rose = fell[fell["normal/defect at end"] - fell["normal/defect at peak"] > rise]
    n = len(rows)
    if fell.empty:
        return (
            f"{preset} shows no shortcut at this budget: in none of its {n} seeds does its score fall more than "
            f"{points:g} points after its peak (the latest peak at iteration {int(rows['peak at'].max())})."
        )
    start = (
        f"{preset}'s score falls more than {points:g} points after its peak in {len(fell)} of {n} seeds "
        f"(by {fell.fall.mean():.1f} on average)"
    )
    if len(rose) == len(fell) == n:
        return (
            f"{start}, and in every one its normal/defect ratio rises by more than {rise:g}: the shortcut's signature."
        )
    if rose.empty:
        return (
            f"{start}, but in none of those does its normal/defect ratio rise by more than {rise:g}: defects do not "
            "grow less distinct from normal regions, so the fall is not the shortcut's."
        )
    return (
        f"{start}, and in {len(rose)} of those its normal/defect ratio rises by more than {rise:g}: not the "
        "shortcut's signature in every seed."
    )


def largest_drop(run: Run, metric: str = "I-AUROC") -> float:
    """The largest fall of ``metric`` from one evaluation during training to the next (0 if it never falls)."""
    values = run.history.sort_values("iteration")[metric].to_numpy()
    return float(max(-np.diff(values).min(initial=0.0), 0.0))


def stability(runs: dict[str, Sequence[Run]], metric: str = "I-AUROC") -> pd.DataFrame:
    """Fig. 5a's "stable training", as numbers over seeds: per preset, the spread (standard deviation over seeds)
    of the last ``metric``, its mean, the largest drop between two consecutive evaluations of any seed, and in how
    many seeds some drop exceeds :data:`FALL_POINTS`. Descriptive: the plan judges no claim on it."""
    rows = []
    for preset, seeds in runs.items():
        last_values = np.array([last(r, metric) for r in seeds])
        drops = [largest_drop(r, metric) for r in seeds]
        rows.append(
            {
                "preset": preset,
                "seeds": len(seeds),
                f"last {metric} mean": float(last_values.mean()),
                f"last {metric} std over seeds": float(last_values.std(ddof=1)) if len(seeds) > 1 else float("nan"),
                "largest drop between evaluations": max(drops),
                f"seeds with a drop > {FALL_POINTS:g}": sum(d > FALL_POINTS for d in drops),
            }
        )
    return pd.DataFrame(rows).set_index("preset")


def stability_words(table: pd.DataFrame, unstable: str = "A", stable: str = "B", alpha: float = 0.05) -> str:
    """What :func:`stability` found, in words chosen by its numbers: whether ``unstable``'s last values spread more
    over seeds than ``stable``'s (a one-sided F-test of the two variances at level ``alpha``, which few seeds can
    rarely pass), and how its largest drop between evaluations compares."""
    for name in (unstable, stable):
        if name not in table.index:
            raise ValueError(f"no runs of {name!r} in the table; presets: {', '.join(table.index)}")
    spread = next(c for c in table.columns if c.endswith("std over seeds"))
    a, b = table.loc[unstable], table.loc[stable]
    if a.seeds < 2 or b.seeds < 2:
        return f"one seed of {unstable} or {stable}: a spread over seeds cannot be measured."
    ratio = (a[spread] / b[spread]) ** 2 if b[spread] > 0 else (np.inf if a[spread] > 0 else 1.0)
    p = float(f_distribution.sf(ratio, a.seeds - 1, b.seeds - 1))
    wider = a[spread] > b[spread]
    words = (
        f"{unstable}'s last score spreads {a[spread]:.2f} points over {int(a.seeds)} seeds, {stable}'s {b[spread]:.2f}"
    )
    if wider and p < alpha:
        words += f": {unstable} is the less stable over seeds (F-test p = {p:.3f})"
    elif wider:
        words += (
            f": wider for {unstable}, but {int(a.seeds)} seeds cannot tell the two spreads apart (F-test p = {p:.2f})"
        )
    else:
        words += f": {unstable} is not the less stable over seeds here"
    drop_a, drop_b = a["largest drop between evaluations"], b["largest drop between evaluations"]
    larger = "larger" if drop_a > drop_b else "not larger"
    return (
        f"{words}; its largest drop between two evaluations ({drop_a:.1f}) is {larger} than {stable}'s ({drop_b:.1f})."
    )


def _ratios(table: pd.DataFrame, resamples: np.ndarray) -> np.ndarray:
    """:func:`defect_contrast` on every resample of the images (``resamples``: resamples x images)."""
    sums = {
        k: table[k].to_numpy()[resamples].sum(axis=1) for k in ("normal_sum", "normal_px", "defect_sum", "defect_px")
    }
    return (sums["normal_sum"] / sums["normal_px"]) / (sums["defect_sum"] / sums["defect_px"])


def defect_contrast(run: Run) -> float:
    """Fig. 5c as a number: mean S^map over normal pixels divided by mean S^map over defect pixels, over the
    run's last evaluation (lower: normal regions are cooler relative to defects)."""
    t = images_of(run)
    return float((t.normal_sum.sum() / t.normal_px.sum()) / (t.defect_sum.sum() / t.defect_px.sum()))


def images_of(run: Run) -> pd.DataFrame:
    """The run's last evaluation, one row per test image."""
    if run.test_images is None:
        raise ValueError(f"run {run.out} has no per-image record of its last evaluation (test_images.csv)")
    return run.test_images


def _paired_tables(pairs: Sequence[tuple[Run, Run]]) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """The per-image tables of paired runs, checked to hold the same test images in the same order."""
    tables = [(images_of(a), images_of(b)) for a, b in pairs]
    first = tables[0][0].path.tolist()
    for a, b in tables:
        if a.path.tolist() != first or b.path.tolist() != first:
            raise ValueError("paired runs were scored on different test images: a paired difference needs the same")
    return tables


def auroc_test_se(groups: Sequence[Sequence[tuple[Run, Run]]]) -> float:
    """Test-sampling standard error of the mean over seeds (and over ``groups``, one per category) of the
    paired I-AUROC difference ``treated - control``: a paired bootstrap of each category's test images."""
    totals = np.zeros(RESAMPLES)
    for pairs in groups:
        tables = _paired_tables(pairs)
        labels = tables[0][0].label.to_numpy()
        idx = bootstrap_indices(labels, RESAMPLES)
        treated = np.stack([a.score.to_numpy() for a, _ in tables])
        control = np.stack([b.score.to_numpy() for _, b in tables])
        diff = auroc_differences(treated, labels, idx) - auroc_differences(control, labels, idx)
        totals += diff.mean(axis=1) / len(groups)
    return float(totals.std(ddof=1))


def contrast_test_se(pairs: Sequence[tuple[Run, Run]]) -> float:
    """Test-sampling standard error of the mean over seeds of the paired difference of
    :func:`defect_contrast`: a paired bootstrap of the test images."""
    tables = _paired_tables(pairs)
    idx = bootstrap_indices(tables[0][0].label.to_numpy(), RESAMPLES)
    diffs = np.mean([_ratios(a, idx) - _ratios(b, idx) for a, b in tables], axis=0)
    return float(diffs.std(ddof=1))


def landscapes(study: Any, run: Run, seed: int) -> dict[str, Landscape]:
    """Fig. 4's two planes around a run's weights (``whole``: distance 1, as the paper; ``zoom``: distance 4),
    cached beside the run so that the notebook and the claims share them."""
    n = study.profile.landscape_images
    train = study.train_set()
    images = torch.stack([train[i].image for i in range(n)])
    folder = Path(run.out) if run.out is not None else study.results / "landscapes"
    steps = study.profile.landscape_steps
    return {
        name: cached_landscape(
            folder / f"landscape_d{distance:g}_s{steps}_n{n}_seed{seed}.npz",
            run.model,
            images,
            distance=distance,
            steps=steps,
            seed=seed,
        )
        for name, distance in (("whole", 1.0), ("zoom", 4.0))
    }


def near_radius(steps: int) -> float:
    """ "Near the minimum": three grid steps of the zoomed plane (distance 4), as a fraction of ||theta||."""
    return 3.0 / (4.0 * steps)
