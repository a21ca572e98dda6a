"""Evaluation during training: the test set scored every ``eval_every`` iterations for the curves, and once more,
in full, at the end for the run's metrics.

With ``eval_subset`` the evaluations along the way score a fixed stratified subset of the test images (every
k-th normal and every k-th defective image, about ``eval_subset`` in all), so that a curve costs a fraction of a
full evaluation; the last evaluation scores every image. Its row in the history (the curve's last point) holds the
metrics of the same subset, computed from the full scoring, so that the curve and the best evaluation compare like
with like; the run's ``last`` metrics are those of the whole test set. The last evaluation also keeps one row per
test image (:func:`rclib.scoring.evaluate.per_image`): what a bootstrap over test images resamples.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from torch.utils.data import Dataset, Subset

from ..config import ReContrastConfig
from ..scoring.evaluate import compute_metrics, metric_options, per_image, predict
from .checkpoint import TrainingState


def curve_subset(labels: np.ndarray, size: int) -> list[int] | None:
    """Indices of about ``size`` test images, evenly spaced within the normal and within the defective ones
    (None: all of them, when ``size`` is 0 or not smaller than the test set)."""
    if size <= 0 or size >= len(labels):
        return None
    step = int(np.ceil(len(labels) / size))
    picked = [np.flatnonzero(labels == k)[::step] for k in (0, 1)]
    return sorted(int(i) for i in np.concatenate(picked))


def is_evaluation(iteration: int, c: ReContrastConfig) -> bool:
    """Whether the test set is scored after ``iteration`` updates: at ``eval_at`` when it is given, else every
    ``eval_every`` (the last iteration always)."""
    return iteration in c.eval_at if c.eval_at else iteration % c.eval_every == 0


def _row(state: TrainingState, c: ReContrastConfig) -> dict[str, Any]:
    since = [h["iteration"] for h in state.history]
    recent = state.steps[since[-1] if since else 0 :]
    row = {"iteration": state.iteration, "loss": sum(s["loss"] for s in recent) / len(recent)}
    row.update({k: v for k, v in state.steps[-1].items() if k.startswith("std_")})
    return row


def evaluate_now(state: TrainingState, eval_data: Dataset, c: ReContrastConfig, *, final: bool) -> dict[str, Any]:
    """Score the test set now: the evaluation row (mean loss since the last one, feature std, metrics, number of
    test images, time). The ``final`` evaluation scores every image, keeps the run's metrics in ``state.last``
    and its per-image table in ``state.test_images``."""
    row = _row(state, c)
    subset = curve_subset(np.asarray(eval_data.labels), c.eval_subset)
    options = metric_options(state.model, eval_data)
    t0 = time.perf_counter()
    if final:
        pred = predict(state.model, eval_data, keep_maps=options["segmentation"])
        state.last = compute_metrics(pred, **options)
        state.test_images = per_image(pred)
        row.update(compute_metrics(pred.subset(subset), **options) if subset else state.last)
    else:
        data = Subset(eval_data, subset) if subset else eval_data
        row.update(compute_metrics(predict(state.model, data, keep_maps=options["segmentation"]), **options))
    row["test_images"] = len(subset) if subset else len(eval_data)
    row["eval_seconds"] = round(time.perf_counter() - t0, 3)
    state.model.train()
    if state.best is None or row["I-AUROC"] >= state.best["I-AUROC"]:  # ties go to the later evaluation, as official
        state.best = dict(row)
    return row
