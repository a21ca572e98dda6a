"""The paper's distances and training losses, one function per equation.

Notation follows Section 2: ``f_E`` is an encoder feature map, ``f_D`` the decoder's reconstruction of
it, both ``B x C x H x W``; ``k`` indexes the three feature stages. Lists ``enc``/``dec`` hold the pairs that
are compared, in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

COSINE_EPS = 1e-8  # torch.nn.CosineSimilarity's default, as in the official code


def regional_cosine_distance(f_e: Tensor, f_d: Tensor) -> Tensor:
    """Regional cosine distance map M^k (Eq. 1): ``1 - cos`` along channels at every point.

    Returns a ``B x H x W`` map; large values mark anomalies.
    """
    return 1.0 - F.cosine_similarity(f_e, f_d, dim=1, eps=COSINE_EPS)


def global_cosine_distance(f_e: Tensor, f_d: Tensor) -> Tensor:
    """Global cosine distance of one stage (the summand of Eq. 3): one cosine per sample over C*H*W.

    Returns a vector of ``B`` distances.
    """
    return 1.0 - F.cosine_similarity(f_e.flatten(1), f_d.flatten(1), dim=1, eps=COSINE_EPS)


def _target(f_e: Tensor, stop_grad: bool) -> Tensor:
    """The stop-gradient operator ``sg`` of Eq. 4 applied to the encoder side when asked."""
    return f_e.detach() if stop_grad else f_e


def region_loss(enc: Sequence[Tensor], dec: Sequence[Tensor], stop_grad: bool = True) -> Tensor:
    """L_region (Eq. 2): the mean of M^k over points (and the batch), summed over stages."""
    return sum(regional_cosine_distance(_target(e, stop_grad), d).mean() for e, d in zip(enc, dec, strict=True))


def global_loss(enc: Sequence[Tensor], dec: Sequence[Tensor], stop_grad: bool = True) -> Tensor:
    """L_global (Eq. 3; with ``stop_grad=True`` Eq. 4): global cosine distances, batch mean, summed over stages."""
    return sum(global_cosine_distance(_target(e, stop_grad), d).mean() for e, d in zip(enc, dec, strict=True))


def hard_mining_alpha(
    iteration: int, total_iterations: int, *, start: float = -3.0, end: float = 1.0, warmup: float = 0.1
) -> float:
    """alpha of Eq. 5 at a training step: linear from ``start`` to ``end`` over the first ``warmup`` of
    training, then constant (Sec. 3.1). ``iteration`` counts the updates already made (0-based), as in the
    official scripts: ``min(start + (end - start) * it / (warmup * T), end)``.
    """
    ramp = warmup * total_iterations
    if ramp <= 0:
        return end
    return min(start + (end - start) * iteration / ramp, end)


def hard_normal_mask(distance_map: Tensor, alpha: float) -> Tensor:
    """Easy-normal points of Eq. 5: ``M^k(h, w) < mu + alpha * sigma``.

    mu and sigma are the mean and (unbiased) standard deviation of all points of the mini-batch, the
    approximation of the data-set statistics that the paper and the official code use. Returns a boolean
    mask shaped like ``distance_map``; ``True`` marks an easy point whose gradient is dropped.
    """
    mu = distance_map.mean()
    sigma = distance_map.std(unbiased=True) if distance_map.numel() > 1 else distance_map.new_zeros(())
    return distance_map < mu + alpha * sigma


def global_loss_hm(enc: Sequence[Tensor], dec: Sequence[Tensor], alpha: float, factor: float = 0.0) -> Tensor:
    """L_global-hm (Eq. 5): L_global with stop-gradient, where the gradients reaching the decoder's easy
    points are multiplied by ``factor`` (0: dropped, the paper's ``sg``). The points themselves stay in the
    loss, so its value equals :func:`global_loss`; only the backward pass changes.
    """
    total = enc[0].new_zeros(())
    for f_e, f_d in zip(enc, dec, strict=True):
        target = f_e.detach()
        if f_d.requires_grad:
            with torch.no_grad():
                easy = hard_normal_mask(regional_cosine_distance(target, f_d), alpha).unsqueeze(1)
            keep = torch.where(easy, torch.as_tensor(factor, dtype=f_d.dtype, device=f_d.device), 1.0)
            f_d.register_hook(lambda grad, keep=keep: grad * keep)
        total = total + global_cosine_distance(target, f_d).mean()
    return total
