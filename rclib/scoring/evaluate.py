"""Scoring a test set and computing the paper's metrics from the scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from .anomaly_map import score
from .inference import inference_model
from .metrics import aupro, f1_acc, image_auroc, normal_to_defect_ratio, pixel_auroc


@dataclass
class Predictions:
    """Per-image outputs on a test set: S^map (``N x H x W`` float32, or None), S^img, labels, masks."""

    scores: np.ndarray
    labels: np.ndarray
    maps: np.ndarray | None
    masks: np.ndarray | None
    paths: list[str]

    def subset(self, index: Sequence[int]) -> Predictions:
        """The predictions of the images ``index`` only."""
        idx = np.asarray(index)
        return Predictions(
            scores=self.scores[idx],
            labels=self.labels[idx],
            maps=None if self.maps is None else self.maps[idx],
            masks=None if self.masks is None else self.masks[idx],
            paths=[self.paths[i] for i in idx],
        )


@torch.inference_mode()
def predict(
    model: torch.nn.Module,
    dataset: Dataset,
    *,
    batch_size: int = 16,
    keep_maps: bool | None = None,
    pairs: Sequence[int] | None = None,
    num_workers: int = 0,
    fast_inference: bool | None = None,
) -> Predictions:
    """Score every image of ``dataset`` in batches on the model's device. Maps are kept when the data set
    has pixel masks (or when ``keep_maps`` says so). With ``fast_inference`` (default: the config's) the
    scoring runs on :func:`rclib.scoring.inference.inference_model`'s copy; ``model`` itself is not changed."""
    keep_maps = getattr(dataset, "has_masks", True) if keep_maps is None else keep_maps
    fast = model.config.fast_inference if fast_inference is None else fast_inference
    net = inference_model(model) if fast else model
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    scores, labels, maps, masks, paths = [], [], [], [], []
    for batch in loader:
        m, s = score(net, batch.image, pairs=pairs, channels_last=fast or None)
        scores.append(s.float().cpu())
        labels.append(torch.as_tensor(batch.label))
        paths += list(batch.path)
        if keep_maps:
            maps.append(m.float().cpu())
            masks.append(batch.mask)
    return Predictions(
        scores=torch.cat(scores).numpy(),
        labels=torch.cat(labels).numpy().astype(int),
        maps=torch.cat(maps).numpy() if keep_maps else None,
        masks=torch.cat(masks).numpy().astype(bool) if keep_maps else None,
        paths=paths,
    )


def compute_metrics(
    pred: Predictions, *, aupro_protocol: str = "per_image", segmentation: bool = True, f1: bool = False
) -> dict[str, float]:
    """I-AUROC always; P-AUROC, AUPRO and the normal/defect S^map ratio (Fig. 5c as a number) when masks are present
    and ``segmentation``; F1/ACC when ``f1``."""
    out = {"I-AUROC": image_auroc(pred.scores, pred.labels)}
    if segmentation and pred.maps is not None and pred.masks is not None and pred.masks.any():
        out["P-AUROC"] = pixel_auroc(pred.maps, pred.masks)
        out["AUPRO"] = aupro(pred.maps, pred.masks, protocol=aupro_protocol)
        out["normal/defect"] = normal_to_defect_ratio(pred.maps, pred.masks)
    if f1:
        out["F1"], out["ACC"] = f1_acc(pred.scores, pred.labels)
    return out


def metric_options(model: torch.nn.Module, dataset: Dataset, f1: bool | None = None) -> dict:
    """How :func:`compute_metrics` scores ``dataset``: the model's AUPRO protocol, segmentation metrics only with
    masks, F1/ACC for image-label-only sets (as Table 5 reports them)."""
    has_masks = getattr(dataset, "has_masks", True)
    return dict(
        aupro_protocol=model.config.aupro_protocol, segmentation=has_masks, f1=(not has_masks) if f1 is None else f1
    )


def per_image(pred: Predictions) -> pd.DataFrame:
    """One row per test image: its path, label and S^img, and (with maps and masks) the sum of S^map over its
    normal and over its defect pixels with their counts, so that any resample of the images gives its own
    I-AUROC and normal/defect ratio (:func:`rclib.scoring.metrics.normal_to_defect_ratio`) without the maps."""
    table = pd.DataFrame({"path": pred.paths, "label": pred.labels, "score": pred.scores.astype(np.float64)})
    if pred.maps is not None and pred.masks is not None:
        maps, masks = pred.maps.astype(np.float64), pred.masks.astype(bool)
        table["defect_px"] = masks.sum(axis=(1, 2))
        table["normal_px"] = (~masks).sum(axis=(1, 2))
        table["defect_sum"] = (maps * masks).sum(axis=(1, 2))
        table["normal_sum"] = (maps * ~masks).sum(axis=(1, 2))
    return table


def evaluate(
    model: torch.nn.Module,
    dataset: Dataset,
    *,
    batch_size: int = 16,
    aupro_protocol: str | None = None,
    f1: bool | None = None,
    fast_inference: bool | None = None,
) -> dict[str, float]:
    """Score ``dataset`` and return the metrics in percent (segmentation metrics only with masks; F1/ACC for
    image-label-only sets, as Table 5 reports them)."""
    pred = predict(model, dataset, batch_size=batch_size, fast_inference=fast_inference)
    options = metric_options(model, dataset, f1)
    if aupro_protocol:
        options["aupro_protocol"] = aupro_protocol
    return compute_metrics(pred, **options)
