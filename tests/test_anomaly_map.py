"""S^map, its smoothing and the image score."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from rclib.method.losses import regional_cosine_distance
from rclib.scoring.anomaly_map import anomaly_map, gaussian_smooth, gaussian_smooth_torch, image_score


@pytest.mark.parametrize("size", [64, 40])
def test_gaussian_smooth_matches_scipy(size):
    rng = np.random.default_rng(0)
    maps = rng.random((3, size, size)).astype(np.float32)
    ours = gaussian_smooth(torch.from_numpy(maps), sigma=4).numpy()
    ref = np.stack([gaussian_filter(m, sigma=4) for m in maps])  # the official call, one map at a time
    assert ours.dtype == np.float32 and np.array_equal(ours, ref)
    # the device path (two float32 convolutions), run here on the CPU: the same everywhere, borders
    # included (scipy's 'reflect' mode), up to float32 rounding
    on_device = gaussian_smooth_torch(torch.from_numpy(maps), sigma=4).numpy()
    assert np.abs(on_device - ref).max() < 1e-6


def test_anomaly_map_sums_upsampled_pairs_and_selects_pairs():
    torch.manual_seed(0)
    enc = [torch.randn(2, 4, 8, 8), torch.randn(2, 4, 4, 4)]
    dec = [torch.randn(2, 4, 8, 8), torch.randn(2, 4, 4, 4)]
    full = anomaly_map(enc, dec, 16)
    first = anomaly_map(enc, dec, 16, pairs=[0])
    second = anomaly_map(enc, dec, 16, pairs=[1])
    assert full.shape == (2, 16, 16)
    assert torch.allclose(full, first + second)
    up = torch.nn.functional.interpolate(
        regional_cosine_distance(enc[0], dec[0])[:, None], size=16, mode="bilinear", align_corners=True
    )[:, 0]
    assert torch.allclose(first, up)
    with pytest.raises(ValueError, match="out of range"):
        anomaly_map(enc, dec, 16, pairs=[2])


def test_image_score_reductions():
    maps = torch.arange(200.0).reshape(2, 10, 10)
    assert image_score(maps, "max").tolist() == [99.0, 199.0]
    assert image_score(maps, "mean").tolist() == [49.5, 149.5]
    assert image_score(maps, "top1").tolist() == [99.0, 199.0]  # 1% of 100 pixels = the max
    with pytest.raises(ValueError, match="valid"):
        image_score(maps, "median")
