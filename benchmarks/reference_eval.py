"""A straightforward port of the official evaluation, kept here only as a reference for speed and values.

It scores one image at a time, smooths with ``scipy.ndimage.gaussian_filter`` and computes the official
per-image PRO with 200 thresholds and ``skimage.measure`` region properties (``utils.py: compute_pro`` of
guojiajeremy/ReContrast, with ``DataFrame.append`` replaced by a list, which pandas >= 2 requires).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter
from skimage import measure
from sklearn.metrics import auc, roc_auc_score


def reference_per_image_aupro(amap: np.ndarray, mask: np.ndarray, num_th: int = 200) -> float:
    """``compute_pro`` of the official code for one image (fraction)."""
    masks, amaps = mask[None].astype(int), amap[None]
    binary_amaps = np.zeros_like(amaps, dtype=bool)
    min_th, max_th = amaps.min(), amaps.max()
    delta = (max_th - min_th) / num_th
    rows = []
    for th in np.arange(min_th, max_th, delta):
        binary_amaps[amaps <= th] = 0
        binary_amaps[amaps > th] = 1
        pros = []
        for binary_amap, m in zip(binary_amaps, masks, strict=True):
            for region in measure.regionprops(measure.label(m)):
                tp_pixels = binary_amap[region.coords[:, 0], region.coords[:, 1]].sum()
                pros.append(tp_pixels / region.area)
        inverse_masks = 1 - masks
        fp_pixels = np.logical_and(inverse_masks, binary_amaps).sum()
        fpr = fp_pixels / inverse_masks.sum()
        rows.append({"pro": np.mean(pros), "fpr": fpr, "threshold": th})
    df = pd.DataFrame(rows)
    df = df[df["fpr"] < 0.3]
    df["fpr"] = df["fpr"] / df["fpr"].max()
    return float(auc(df["fpr"], df["pro"]))


@torch.no_grad()
def reference_forward(model, dataset) -> None:
    """Only the forward passes of :func:`reference_evaluate` (batch size 1): the part no metric code changes."""
    model.eval()
    device = next(model.parameters()).device
    for sample in dataset:
        model(sample.image[None].to(device))


@torch.no_grad()
def reference_evaluate(model, dataset) -> dict[str, float]:
    """The official ``evaluation()`` loop: batch size 1, per-image scipy smoothing, per-image PRO."""
    model.eval()
    gt_list_px, pr_list_px, gt_list_sp, pr_list_sp, aupro_list = [], [], [], [], []
    device = next(model.parameters()).device
    for sample in dataset:
        img = sample.image[None].to(device)
        enc, dec = model(img)
        amap = torch.zeros(1, 1, img.shape[-1], img.shape[-1], device=device)
        for e, d in zip(enc, dec, strict=True):
            a = 1 - F.cosine_similarity(e, d)
            amap += F.interpolate(a[:, None], size=img.shape[-1], mode="bilinear", align_corners=True)
        amap = gaussian_filter(amap[0, 0].cpu().numpy(), sigma=4)
        gt = sample.mask.numpy().astype(bool)
        if gt.any():
            aupro_list.append(reference_per_image_aupro(amap, gt))
        gt_list_px.extend(gt.ravel())
        pr_list_px.extend(amap.ravel())
        gt_list_sp.append(int(gt.any() or sample.label))
        pr_list_sp.append(amap.max())
    return {
        "I-AUROC": 100 * roc_auc_score(gt_list_sp, pr_list_sp),
        "P-AUROC": 100 * roc_auc_score(gt_list_px, pr_list_px),
        "AUPRO": 100 * float(np.mean(aupro_list)),
    }
