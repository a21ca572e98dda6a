"""S^map and S^img (Sec. 2.1): summed, upsampled regional distance maps, Gaussian smoothing, image score.

Everything is batched; the smoothing is ``scipy.ndimage.gaussian_filter`` (sigma 4, truncate 4, mode
``reflect``) as the official evaluation applies it, or its torch equivalent for maps on a GPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import gaussian_filter
from torch import Tensor, nn

from ..method.losses import regional_cosine_distance


def anomaly_map(enc: Sequence[Tensor], dec: Sequence[Tensor], size: int, pairs: Sequence[int] | None = None) -> Tensor:
    """S^map: the sum over the chosen pairs of M^k (Eq. 1), bilinearly upsampled to ``size`` (align_corners
    as in the official code). ``pairs`` picks pair indices (Table A6); ``None`` uses all. Returns B x H x W."""
    chosen = range(len(enc)) if pairs is None else pairs
    total = None
    for i in chosen:
        if not 0 <= i < len(enc):
            raise ValueError(f"map pair index {i} out of range: this model compares {len(enc)} pairs")
        m = regional_cosine_distance(enc[i].float(), dec[i].float()).unsqueeze(1)
        m = F.interpolate(m, size=(size, size), mode="bilinear", align_corners=True)[:, 0]
        total = m if total is None else total + m
    return total


def gaussian_kernel1d(sigma: float, truncate: float = 4.0) -> Tensor:
    """scipy's 1-D Gaussian weights: radius ``int(truncate * sigma + 0.5)``, normalised to sum 1."""
    radius = int(truncate * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return torch.from_numpy(w / w.sum())


def _reflect_index(n: int, radius: int, device: torch.device) -> Tensor:
    """Indices that pad a length-``n`` axis by ``radius`` in scipy's ``reflect`` mode (edge repeated)."""
    return torch.from_numpy(np.pad(np.arange(n), radius, mode="symmetric")).to(device)


def gaussian_smooth_torch(maps: Tensor, sigma: float = 4.0, truncate: float = 4.0) -> Tensor:
    """The separable blur of :func:`gaussian_smooth` as two convolutions on the maps' own device (float32),
    so that maps on a GPU need not travel to the CPU. Within 1e-6 of scipy (tested)."""
    kernel = gaussian_kernel1d(sigma, truncate).to(maps.device, torch.float32)
    r = (kernel.numel() - 1) // 2
    x = maps.float().unsqueeze(1)
    x = x.index_select(2, _reflect_index(x.shape[2], r, x.device))
    x = F.conv2d(x, kernel.view(1, 1, -1, 1))
    x = x.index_select(3, _reflect_index(x.shape[3], r, x.device))
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    return x[:, 0].to(maps.dtype)


def gaussian_smooth(maps: Tensor, sigma: float = 4.0, truncate: float = 4.0) -> Tensor:
    """Gaussian blur of ``N x H x W`` maps as the official evaluation applies it: per map
    ``scipy.ndimage.gaussian_filter(sigma=4)`` (truncate 4, mode ``reflect``). CPU maps go through scipy
    itself (one call for the batch, bit-identical to the per-map call); maps on another device use
    :func:`gaussian_smooth_torch`."""
    if sigma <= 0:
        return maps
    if maps.device.type != "cpu":
        return gaussian_smooth_torch(maps, sigma, truncate)
    smoothed = gaussian_filter(maps.detach().numpy(), sigma=(0, sigma, sigma), truncate=truncate, mode="reflect")
    return torch.from_numpy(smoothed)


def image_score(maps: Tensor, reduction: str = "max") -> Tensor:
    """S^img from S^map: ``max`` (paper), ``mean`` (ISIC2018) or ``top1`` (mean of the top 1% of pixels,
    the multi-class and stable scripts)."""
    flat = maps.flatten(1)
    if reduction == "max":
        return flat.max(1).values
    if reduction == "mean":
        return flat.mean(1)
    if reduction == "top1":
        k = max(int(flat.shape[1] * 0.01), 1)
        return flat.topk(k, dim=1).values.mean(1)
    raise ValueError(f"unknown image score reduction {reduction!r}; valid: 'max', 'mean', 'top1'")


@torch.inference_mode()
def score(
    model: nn.Module,
    images: Tensor,
    *,
    pairs: Sequence[int] | None = None,
    sigma: float | None = None,
    reduction: str | None = None,
    channels_last: bool | None = None,
) -> tuple[Tensor, Tensor]:
    """``(anomaly_maps, image_scores)`` of a batch: S^map (``B x H x W``, smoothed) and S^img (``B``).

    Defaults come from the model's config (``map_pairs``, ``smoothing_sigma``, ``image_score``,
    ``channels_last`` for the images' memory format). A model in train mode is put in eval mode for the call
    and returned to train mode afterwards.
    """
    config = model.config
    was_training = model.training
    if was_training:
        model.eval()
    try:
        param = next(model.parameters())
        x = images.to(param.device, non_blocking=True)
        if config.channels_last if channels_last is None else channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        enc, dec = model(x)
        maps = anomaly_map(enc, dec, images.shape[-1], config.map_pairs if pairs is None else pairs)
        maps = gaussian_smooth(maps, config.smoothing_sigma if sigma is None else sigma)
        return maps, image_score(maps, reduction or config.image_score)
    finally:
        if was_training:
            model.train()
