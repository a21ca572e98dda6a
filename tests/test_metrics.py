"""Metrics against scikit-learn, hand-computed cases and the official protocol's straightforward port."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from rclib.scoring.metrics import (
    aupro,
    f1_acc,
    feature_diversity,
    image_auroc,
    pixel_auroc,
    pro_point,
    rank_auroc,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from reference_eval import reference_evaluate, reference_per_image_aupro  # noqa: E402  (benchmarks/ holds the reference port)


def test_auroc_matches_sklearn_and_accepts_tensors():
    rng = np.random.default_rng(0)
    scores, labels = rng.random(50), rng.integers(0, 2, 50)
    assert image_auroc(scores, labels) == pytest.approx(100 * roc_auc_score(labels, scores))
    assert image_auroc(torch.from_numpy(scores), torch.from_numpy(labels)) == pytest.approx(
        100 * roc_auc_score(labels, scores)
    )
    maps, masks = rng.random((3, 8, 8)), rng.random((3, 8, 8)) > 0.7
    assert pixel_auroc(maps, masks) == pytest.approx(100 * roc_auc_score(masks.ravel(), maps.ravel()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rank_auroc_equals_sklearn_with_ties(dtype):
    rng = np.random.default_rng(1)
    scores = np.round(rng.random(20_000), 2).astype(dtype)  # many ties
    labels = rng.random(20_000) < 0.1 + 0.5 * scores
    assert rank_auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_auroc_perfect_inverted_constant():
    labels = np.array([0, 0, 1, 1])
    assert image_auroc([0.1, 0.2, 0.8, 0.9], labels) == 100
    assert image_auroc([0.9, 0.8, 0.2, 0.1], labels) == 0
    assert image_auroc([0.5] * 4, labels) == 50
    masks = np.zeros((2, 4, 4), bool)
    masks[1, :2, :2] = True
    assert pixel_auroc(masks.astype(float), masks) == 100
    assert pixel_auroc(1 - masks.astype(float), masks) == 0
    assert pixel_auroc(np.ones((2, 4, 4)), masks) == 50


def test_metrics_refuse_single_class():
    with pytest.raises(ValueError, match="both normal and anomalous"):
        image_auroc([0.1, 0.2], [0, 0])


def _two_protocol_case():
    """One 1x12 image: 10 normal pixels scored 0.1..1.0, a 2-pixel region scored 0.95 and 0.75."""
    amap = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.95, 0.75]])
    mask = np.zeros_like(amap, bool)
    mask[0, 10:] = True
    return amap[None], mask[None]


def test_aupro_hand_computed_per_image_and_pooled():
    maps, masks = _two_protocol_case()
    # pooled: PRO 0 until FPR 0.1, 0.5 from FPR 0.1 to 0.3 -> area 0.1 / 0.3
    assert aupro(maps, masks, "pooled") == pytest.approx(100 / 3, rel=1e-9)
    # per image: kept thresholds have FPR 0.2 and 0.1, normalised to 1 and 0.5; PRO is 0.5 over that span
    assert aupro(maps, masks, "per_image") == pytest.approx(25.0, rel=1e-9)


def test_aupro_protocols_differ_on_normal_images():
    maps, masks = _two_protocol_case()
    noisy = np.concatenate([maps, np.full_like(maps, 0.99)])  # a normal image whose pixels all score high
    noisy_masks = np.concatenate([masks, np.zeros_like(masks)])
    assert aupro(noisy, noisy_masks, "per_image") == pytest.approx(aupro(maps, masks, "per_image"))
    assert aupro(noisy, noisy_masks, "pooled") < aupro(maps, masks, "pooled")  # pooled counts them as false positives


def test_aupro_perfect_map_is_100():
    masks = np.zeros((2, 16, 16), bool)
    masks[0, 2:6, 2:6] = True
    masks[0, 10:12, 10:14] = True
    masks[1, 8:9, 3:9] = True
    perfect = masks.astype(float)
    assert aupro(perfect, masks, "per_image") == pytest.approx(100)
    assert aupro(perfect, masks, "pooled") == pytest.approx(100)
    noisy = perfect + 0.01 * np.random.default_rng(0).random(masks.shape)  # every anomaly above every normal pixel
    assert aupro(noisy, masks, "pooled") == pytest.approx(100)


def test_per_image_aupro_equals_official_port_on_random_maps():
    rng = np.random.default_rng(3)
    masks = np.zeros((4, 32, 32), bool)
    masks[0, 3:10, 3:10] = True
    masks[1, 20:30, 5:8] = True
    masks[1, 2:4, 25:30] = True  # two regions in one image
    masks[2, 10:20, 10:20] = True
    maps = rng.random(masks.shape) + 0.8 * masks
    expected = np.mean([reference_per_image_aupro(maps[i], masks[i]) for i in range(3)]) * 100
    assert aupro(maps, masks, "per_image") == pytest.approx(expected, abs=1e-8)


def test_aupro_validates_input():
    with pytest.raises(ValueError, match="same N x H x W"):
        aupro(np.zeros((2, 4, 4)), np.zeros((2, 4, 5), bool))
    with pytest.raises(ValueError, match="at least one"):
        aupro(np.zeros((2, 4, 4)), np.zeros((2, 4, 4), bool))
    with pytest.raises(ValueError, match="unknown AUPRO protocol"):
        aupro(np.zeros((1, 4, 4)), np.ones((1, 4, 4), bool), "bergmann")


def test_f1_acc_oracle_threshold():
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.35, 0.8])
    labels = np.array([0, 0, 0, 1, 1, 1])
    f1, acc = f1_acc(scores, labels)
    # best threshold 0.35: predictions 0,0,0,1,1,1 -> perfect
    assert f1 == pytest.approx(100) and acc == pytest.approx(100)
    f1, acc = f1_acc([0.1, 0.9, 0.2, 0.8], [0, 0, 1, 1])
    # thresholds: 0.2 -> preds 0,1,1,1: P=2/3 R=1 F1=0.8, acc 0.75 (best F1)
    assert f1 == pytest.approx(80) and acc == pytest.approx(75)


def test_feature_diversity_collapse_and_isotropy():
    same = torch.ones(2, 16, 4, 4)
    assert feature_diversity(same) == pytest.approx(0, abs=1e-7)
    torch.manual_seed(0)
    iso = torch.randn(8, 64, 16, 16)
    assert feature_diversity(iso) == pytest.approx(1 / 8, rel=0.05)  # 1/sqrt(C)


def _pooled_aupro_by_thresholds(maps: np.ndarray, masks: np.ndarray, fpr_limit: float) -> float:
    """MVTec AD's pooled AUPRO spelled out: one curve point per distinct score (8-connected regions)."""
    from scipy import ndimage

    regions = []
    for i in range(len(masks)):
        labels, n = ndimage.label(masks[i], structure=np.ones((3, 3)))
        regions += [(i, labels == r) for r in range(1, n + 1)]
    fprs, pros = [0.0], [0.0]
    for t in np.unique(maps)[::-1]:
        above = maps >= t
        fprs.append((above & ~masks).sum() / (~masks).sum())
        pros.append(np.mean([above[i][region].mean() for i, region in regions]))
    fprs, pros = np.array(fprs), np.array(pros)
    j = np.searchsorted(fprs, fpr_limit, side="right")
    if j < len(fprs):
        pro_at = np.interp(fpr_limit, fprs[j - 1 : j + 1], pros[j - 1 : j + 1])
        fprs, pros = np.r_[fprs[:j], fpr_limit], np.r_[pros[:j], pro_at]
    return 100 * float(np.trapezoid(pros, fprs) / fpr_limit)


@pytest.mark.parametrize("fpr_limit", [0.05, 0.3, 1.0])
def test_pooled_aupro_equals_threshold_by_threshold_curve(fpr_limit):
    rng = np.random.default_rng(5)
    masks = np.zeros((5, 20, 20), bool)
    masks[0, 2:8, 3:9] = True
    masks[1, 10:18, 1:4] = True
    masks[1, 1:3, 15:19] = True
    masks[3, 5:15, 5:15] = True
    maps = np.round(rng.random(masks.shape) + 0.4 * masks, 2)  # coarse values: many ties
    assert aupro(maps, masks, "pooled", fpr_limit) == pytest.approx(
        _pooled_aupro_by_thresholds(maps, masks, fpr_limit), abs=1e-9
    )


def _blob_fixture(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Irregular, 8-connected defect regions (several per image, some images without any) and maps that see them
    through noise, with coarse values (many ties)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal((8, 32, 32)), sigma=(0, 2, 2))
    masks = noise > 1.2 * noise.std()
    masks[:2] = False  # two normal images
    maps = np.round(rng.random(masks.shape) + 0.8 * masks + 0.3 * noise / noise.std(), 2)
    return maps, masks


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("fpr_limit", [0.05, 0.3, 1.0])
def test_pooled_aupro_equals_anomalib(seed, fpr_limit):
    """MVTec AD's pooled protocol against anomalib's AUPRO, an implementation this project did not write (the
    test extra pins it); anomalib computes in float32."""
    from anomalib.metrics.aupro import _AUPRO

    maps, masks = _blob_fixture(seed)
    theirs = _AUPRO(fpr_limit=fpr_limit)
    theirs.update(torch.from_numpy(maps), torch.from_numpy(masks.astype(np.float32)))
    assert aupro(maps, masks, "pooled", fpr_limit) == pytest.approx(100 * float(theirs.compute()), abs=1e-3)


def test_pro_point_hand_computed_with_a_diagonal_region():
    masks = np.zeros((2, 4, 4), bool)
    masks[0, 0, 0] = masks[0, 1, 1] = True  # touching at a corner: one 8-connected region of 2 pixels
    masks[1, 2:4, 2:4] = True  # a 2 x 2 region in the second image
    maps = np.zeros((2, 4, 4))
    maps[0, 0, 0], maps[1, 2, 2], maps[1, 0, 0] = 0.5, 0.5, 0.5  # one normal pixel of image 1 is hot
    pro, fpr = pro_point(maps, masks, 0.5)  # at or above 0.5: overlaps 1/2 and 1/4; 1 of 26 normal pixels
    assert pro == pytest.approx((1 / 2 + 1 / 4) / 2) and fpr == pytest.approx(1 / 26)
    assert pro_point(maps, masks, 0.6) == (0.0, 0.0)
    assert pro_point(maps, np.zeros_like(masks), 0.5) == (0.0, pytest.approx(3 / 32))  # no regions: PRO 0


@pytest.mark.parametrize("seed", [0, 1])
def test_pro_points_integrate_to_the_pooled_aupro(seed):
    maps, masks = _blob_fixture(seed)
    points = [(0.0, 0.0)] + [pro_point(maps, masks, t)[::-1] for t in np.unique(maps)[::-1]]
    fpr, pro = np.array(points).T
    assert 100 * np.trapezoid(pro, fpr) == pytest.approx(aupro(maps, masks, "pooled", fpr_limit=1.0), abs=1e-9)


def test_evaluation_equals_the_official_loop_end_to_end(demo_root):
    # the official evaluation() (one image at a time, scipy smoothing, per-image PRO) against rclib's batched
    # scoring and metrics, on the same model and test images: every metric the official code reports
    from rclib import build_model, get_preset
    from rclib.data import open_dataset
    from rclib.scoring.evaluate import compute_metrics, predict

    torch.manual_seed(0)
    config = get_preset("ReContrast", backbone="efficientnet_lite0", image_size=64, fast_inference=False)
    model = build_model(config, pretrained=True).eval()
    test = open_dataset("mvtec_ad", demo_root, "brick", "test", image_size=64)
    ours = compute_metrics(predict(model, test), aupro_protocol="per_image")
    official = reference_evaluate(model, test)
    assert 0 < test.labels.sum() < len(test)
    for name, value in official.items():
        assert ours[name] == pytest.approx(value, abs=1e-3), name  # float32 ties among pixels: about 4e-5 points
