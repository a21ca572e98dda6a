"""The paper's metrics, in percent: I-AUROC, P-AUROC, AUPRO (two named protocols), F1/ACC, feature diversity.

Inputs may be numpy arrays or torch tensors; maps and masks are ``N x H x W``.

AUPRO protocols:

* ``per_image`` -- the official ReContrast/RD4AD ``compute_pro``, used for the paper's tables: for every
  *anomalous* test image, ~200 thresholds ``np.arange(min, max, (max - min) / 200)`` of that image's map; PRO
  = mean over the image's 8-connected regions of TP/area; FPR = FP / normal pixels of that image; rows with
  FPR < 0.3 kept, FPR divided by the largest kept FPR, trapezoid area; mean over anomalous images.
* ``pooled`` -- MVTec AD's own evaluation (Bergmann et al.): one PRO curve over all regions of all images,
  FPR over all normal pixels of all images, integrated up to FPR 0.3 (interpolated there) and divided by 0.3.

Both are computed exactly, with sorting and ``searchsorted`` instead of a Python loop over thresholds.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage
from sklearn import metrics as skm

ArrayLike = np.ndarray | torch.Tensor
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def _np(x: ArrayLike) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _check_both_classes(labels: np.ndarray, what: str) -> None:
    if labels.min() == labels.max():
        raise ValueError(f"{what} needs both normal and anomalous samples; got only label {int(labels.flat[0])}")


def image_auroc(scores: ArrayLike, labels: ArrayLike) -> float:
    """I-AUROC (%): ROC AUC of image scores against image labels (1 = anomalous), via scikit-learn."""
    labels = _np(labels).astype(bool).ravel()
    _check_both_classes(labels, "image_auroc")
    return 100.0 * float(skm.roc_auc_score(labels, _np(scores).ravel()))


def rank_auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Exact ROC AUC (fraction) as the Mann-Whitney statistic with average ranks for ties: the value
    ``sklearn.metrics.roc_auc_score`` gives (tested equal). Each positive's average rank comes from two
    binary searches in the sorted scores (numpy's vectorised sort), so millions of pixels take a small
    fraction of scikit-learn's time."""
    scores = np.ascontiguousarray(scores).ravel()
    labels = np.ascontiguousarray(labels, dtype=bool).ravel()
    everything = np.sort(scores)
    positives = np.sort(scores[labels])
    below = np.searchsorted(everything, positives, side="left")  # scores strictly lower
    tied = np.searchsorted(everything, positives, side="right") - below
    rank_sum = float(np.sum(below + (tied + 1) / 2.0))  # 1-based average ranks of the positives
    n_pos, n_neg = positives.size, scores.size - positives.size
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def pixel_auroc(maps: ArrayLike, masks: ArrayLike) -> float:
    """P-AUROC (%): ROC AUC over all pixels of all test images (:func:`rank_auroc`, equal to scikit-learn's)."""
    masks = _np(masks).astype(bool)
    _check_both_classes(masks.ravel(), "pixel_auroc")
    return 100.0 * rank_auroc(_np(maps), masks)


def _count_above(sorted_values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """How many of ``sorted_values`` are strictly above each threshold."""
    return sorted_values.size - np.searchsorted(sorted_values, thresholds, side="right")


def per_image_pro_auc(amap: np.ndarray, mask: np.ndarray, num_thresholds: int = 200, fpr_limit: float = 0.3) -> float:
    """The official ``compute_pro`` for one anomalous image (fraction, not percent). Thresholds are made in
    the map's own precision, as the official ``np.arange`` on the map does."""
    if amap.dtype not in (np.float32, np.float64):
        amap = amap.astype(np.float32)
    lo, hi = amap.min(), amap.max()
    thresholds = np.arange(lo, hi, (hi - lo) / num_thresholds) if hi > lo else np.array([lo])
    labels, n_regions = ndimage.label(mask, structure=EIGHT_CONNECTED)
    pro = np.zeros(thresholds.size)
    for r in range(1, n_regions + 1):
        region = np.sort(amap[labels == r])
        pro += _count_above(region, thresholds) / region.size
    pro /= n_regions
    normal = np.sort(amap[~mask])
    fpr = _count_above(normal, thresholds) / max(normal.size, 1)
    keep = fpr < fpr_limit
    fpr, pro = fpr[keep], pro[keep]
    if fpr.size == 0:
        return 0.0
    if fpr.size == 1 or fpr.max() == 0:  # degenerate curve (the official code would divide by zero)
        return float(pro.mean())
    return float(skm.auc(fpr / fpr.max(), pro))


def pro_point(maps: ArrayLike, masks: ArrayLike, threshold: float) -> tuple[float, float]:
    """One point of the pooled PRO curve (Bergmann et al., CVPR 2020): at ``threshold`` (pixels scoring ``>=``
    it are called anomalous), PRO is the mean over every 8-connected defect region of every image of the share of
    its pixels called anomalous, FPR the share of normal pixels called anomalous. :func:`pooled_pro_auc` is the
    area under these points up to an FPR of 0.3, computed for all thresholds at once."""
    maps, masks = _np(maps), _np(masks).astype(bool)
    overlaps = []
    for amap, mask in zip(maps, masks, strict=True):
        labels, n_regions = ndimage.label(mask, structure=EIGHT_CONNECTED)
        overlaps += [float((amap[labels == r] >= threshold).mean()) for r in range(1, n_regions + 1)]
    normal = maps[~masks]
    return (float(np.mean(overlaps)) if overlaps else 0.0), (
        float((normal >= threshold).mean()) if normal.size else 0.0
    )


def pooled_pro_auc(maps: np.ndarray, masks: np.ndarray, fpr_limit: float = 0.3) -> float:
    """MVTec AD's AUPRO over all images (fraction): the exact PRO/FPR curve with one point per distinct score.

    At threshold ``t`` (pixels scoring ``>= t`` are called anomalous) FPR is the share of normal pixels at or
    above ``t`` and PRO the mean over regions of their share at or above ``t``: binary searches in the sorted
    normal scores and in the sorted region pixels. Only scores down to the one where the FPR first passes
    ``fpr_limit`` are thresholds: the curve up to the limit (and the point just past it, for the
    interpolation) needs no other.
    """
    # 8-connected regions of every image in one call (the structure does not connect across images)
    labels, n_regions = ndimage.label(masks, structure=np.stack([np.zeros((3, 3)), EIGHT_CONNECTED, np.zeros((3, 3))]))
    labels, maps = labels.ravel(), np.ascontiguousarray(maps).ravel()
    normal_sorted = np.sort(maps[labels == 0])
    inside = np.flatnonzero(labels)
    region_scores = maps[inside]
    order = np.argsort(region_scores)
    region_sorted = region_scores[order]
    weight = (1.0 / np.bincount(labels)[labels[inside]])[order] / max(n_regions, 1)  # 1 / area, / number of regions
    pro_at_or_above = np.r_[np.cumsum(weight[::-1])[::-1], 0.0]
    n_normal = normal_sorted.size
    k = int(np.floor(fpr_limit * n_normal)) + 1  # the k-th highest normal score takes the FPR past the limit
    lowest = normal_sorted[n_normal - k] if k <= n_normal else -np.inf
    candidates = np.concatenate([normal_sorted[normal_sorted >= lowest], region_sorted[region_sorted >= lowest]])
    thresholds = np.unique(candidates)[::-1]
    fpr = np.r_[0.0, (n_normal - np.searchsorted(normal_sorted, thresholds, side="left")) / max(n_normal, 1)]
    pro = np.r_[0.0, pro_at_or_above[np.searchsorted(region_sorted, thresholds, side="left")]]
    if fpr_limit < fpr[-1]:
        j = np.searchsorted(fpr, fpr_limit, side="right")
        pro_at = np.interp(fpr_limit, fpr[j - 1 : j + 1], pro[j - 1 : j + 1])
        fpr, pro = np.r_[fpr[:j], fpr_limit], np.r_[pro[:j], pro_at]
    return float(np.trapezoid(pro, fpr) / fpr_limit)


def aupro(maps: ArrayLike, masks: ArrayLike, protocol: str = "per_image", fpr_limit: float = 0.3) -> float:
    """AUPRO (%) up to ``fpr_limit`` under ``protocol`` ``"per_image"`` (official code, paper tables) or
    ``"pooled"`` (MVTec AD's evaluation). Normal images contribute only to ``pooled``'s FPR."""
    maps, masks = _np(maps), _np(masks).astype(bool)
    if maps.shape != masks.shape or maps.ndim != 3:
        raise ValueError(
            f"aupro expects maps and masks of the same N x H x W shape; got {maps.shape} and {masks.shape}"
        )
    anomalous = masks.reshape(len(masks), -1).any(1)
    if not anomalous.any():
        raise ValueError("aupro needs at least one test image with an anomalous pixel")
    if protocol == "per_image":
        return 100.0 * float(
            np.mean([per_image_pro_auc(maps[i], masks[i], fpr_limit=fpr_limit) for i in np.flatnonzero(anomalous)])
        )
    if protocol == "pooled":
        return 100.0 * pooled_pro_auc(maps, masks, fpr_limit)
    raise ValueError(f"unknown AUPRO protocol {protocol!r}; valid: 'per_image', 'pooled'")


def f1_threshold(scores: ArrayLike, labels: ArrayLike) -> float:
    """The score threshold that maximises F1 (``score >= threshold`` is anomalous), as the official
    ``evaluation_noseg`` picks it: ``2PR / (P + R + 1e-7)`` over scikit-learn's precision-recall curve."""
    scores, labels = _np(scores).ravel(), _np(labels).astype(int).ravel()
    _check_both_classes(labels, "f1_threshold")
    precision, recall, thresholds = skm.precision_recall_curve(labels, scores)
    f1 = 2 * precision * recall / (precision + recall + 1e-7)
    return float(thresholds[np.argmax(np.nan_to_num(f1[:-1], nan=-1.0))])


def f1_acc(scores: ArrayLike, labels: ArrayLike) -> tuple[float, float]:
    """F1 and accuracy (%) at the threshold that maximises F1 on these scores (Table 5; an oracle
    threshold, as in the official ``evaluation_noseg``)."""
    scores, labels = _np(scores).ravel(), _np(labels).astype(int).ravel()
    predicted = (scores >= f1_threshold(scores, labels)).astype(int)
    return 100.0 * float(skm.f1_score(labels, predicted)), 100.0 * float(skm.accuracy_score(labels, predicted))


def normal_to_defect_ratio(maps: ArrayLike, masks: ArrayLike) -> float:
    """Mean S^map over normal pixels divided by mean S^map over defect pixels, over all test images: how hot
    normal regions are relative to defects (Fig. 5c as a number; lower is a cleaner map)."""
    maps, masks = _np(maps), _np(masks).astype(bool)
    _check_both_classes(masks.ravel(), "normal_to_defect_ratio")
    return float(maps[~masks].mean() / maps[masks].mean())


def feature_diversity(features: torch.Tensor) -> float:
    """Feature diversity of Fig. 5b: the std of l2-normalised feature points ``f(h, w) / ||f(h, w)||``.

    Each point is normalised along channels; the std of every channel over all B*H*W points is taken and
    averaged over channels (SimSiam's convention; an isotropic cloud gives ``1/sqrt(C)``). Collapsed features
    (every point alike) give 0.
    """
    points = torch.nn.functional.normalize(features.detach().float(), dim=1)
    points = points.transpose(0, 1).reshape(features.shape[1], -1)
    return float(points.std(dim=1).mean())
