"""The losses on hand-computed cases, and where their gradients go (Eq. 1-5)."""

from __future__ import annotations

import math

import pytest
import torch

from rclib.method.losses import (
    global_cosine_distance,
    global_loss,
    global_loss_hm,
    hard_mining_alpha,
    hard_normal_mask,
    region_loss,
    regional_cosine_distance,
)


def test_regional_cosine_distance_hand_computed():
    # one sample, 2 channels, 1x2 points: point 0 identical, point 1 orthogonal
    f_e = torch.tensor([[[[1.0, 1.0]], [[0.0, 0.0]]]])
    f_d = torch.tensor([[[[2.0, 0.0]], [[0.0, 3.0]]]])
    m = regional_cosine_distance(f_e, f_d)
    assert m.shape == (1, 1, 2)
    assert torch.allclose(m, torch.tensor([[[0.0, 1.0]]]))


def test_region_and_global_loss_hand_computed():
    f_e = torch.tensor([[[[1.0, 1.0]], [[0.0, 0.0]]]])
    f_d = torch.tensor([[[[2.0, 0.0]], [[0.0, 3.0]]]])
    # L_region: mean over points of M = (0 + 1) / 2, one stage
    assert region_loss([f_e], [f_d]).item() == pytest.approx(0.5)
    # L_global: flatten -> e = (1, 1, 0, 0), d = (2, 0, 0, 3): cos = 2 / (sqrt(2) * sqrt(13))
    expected = 1 - 2 / (math.sqrt(2) * math.sqrt(13))
    assert global_loss([f_e], [f_d]).item() == pytest.approx(expected, rel=1e-6)
    # two identical stages sum
    assert global_loss([f_e, f_e], [f_d, f_d]).item() == pytest.approx(2 * expected, rel=1e-6)


def test_global_distance_is_per_sample_and_batch_mean():
    a = torch.randn(3, 4, 5, 5)
    b = torch.randn(3, 4, 5, 5)
    per_sample = global_cosine_distance(a, b)
    assert per_sample.shape == (3,)
    manual = torch.stack(
        [1 - torch.nn.functional.cosine_similarity(a[i].flatten(), b[i].flatten(), dim=0) for i in range(3)]
    )
    assert torch.allclose(per_sample, manual, atol=1e-6)
    assert global_loss([a], [b]).item() == pytest.approx(manual.mean().item(), rel=1e-6)


def test_global_loss_zero_iff_every_regional_distance_zero():
    a = torch.rand(2, 3, 4, 4) + 0.1
    # positively scaled per point -> every regional distance is 0, and the global one only when the scale is shared
    assert global_loss([a], [2 * a]).item() == pytest.approx(0.0, abs=1e-6)
    assert regional_cosine_distance(a, 2 * a).abs().max().item() < 1e-6
    scale = torch.rand(2, 1, 4, 4) + 0.5  # per-point scale: every M^k is 0, flattened cosine is not 1
    assert regional_cosine_distance(a, a * scale).abs().max().item() < 1e-6
    assert global_loss([a], [a * scale]).item() > 1e-4
    b = a.clone()
    b[0, :, 1, 1] = torch.tensor([1.0, -1.0, 0.0])  # one point differs -> both losses positive
    assert regional_cosine_distance(a, b).max().item() > 0.1
    assert global_loss([a], [b]).item() > 0


def test_stop_gradient_blocks_encoder_side_only():
    f_e = torch.randn(2, 3, 4, 4, requires_grad=True)
    f_d = torch.randn(2, 3, 4, 4, requires_grad=True)
    global_loss([f_e], [f_d], stop_grad=True).backward()
    assert f_e.grad is None
    assert f_d.grad is not None and f_d.grad.abs().sum() > 0
    f_e2 = f_e.detach().clone().requires_grad_(True)
    global_loss([f_e2], [f_d], stop_grad=False).backward()
    assert f_e2.grad is not None and f_e2.grad.abs().sum() > 0


def test_region_loss_respects_stop_grad():
    f_e = torch.randn(1, 3, 4, 4, requires_grad=True)
    f_d = torch.randn(1, 3, 4, 4, requires_grad=True)
    region_loss([f_e], [f_d], stop_grad=True).backward()
    assert f_e.grad is None and f_d.grad.abs().sum() > 0


def test_alpha_schedule_ramps_then_stays():
    t = 2000
    assert hard_mining_alpha(0, t) == pytest.approx(-3.0)
    assert hard_mining_alpha(100, t) == pytest.approx(-1.0)
    assert hard_mining_alpha(200, t) == pytest.approx(1.0)
    assert hard_mining_alpha(1999, t) == pytest.approx(1.0)
    assert hard_mining_alpha(50, t, warmup=0.2) == pytest.approx(-2.5)


def test_hard_normal_mask_matches_mean_plus_alpha_std():
    d = torch.tensor([[[0.0, 1.0], [2.0, 3.0]]])
    mu, sigma = 1.5, torch.tensor([0.0, 1.0, 2.0, 3.0]).std().item()
    easy = hard_normal_mask(d, 0.5)
    assert torch.equal(easy, d < mu + 0.5 * sigma)
    assert easy.sum() == 3  # threshold 2.145: only the largest point is hard


def test_hard_mining_zeroes_exactly_easy_gradients_and_keeps_loss():
    torch.manual_seed(0)
    f_e = torch.randn(2, 8, 6, 6)
    f_d = torch.randn(2, 8, 6, 6, requires_grad=True)
    alpha = 0.3
    plain = global_loss([f_e], [f_d])
    mined = global_loss_hm([f_e], [f_d], alpha)
    assert mined.item() == pytest.approx(plain.item(), rel=1e-6)  # mining changes gradients, not the value
    (g_plain,) = torch.autograd.grad(global_loss([f_e], [f_d]), f_d)
    mined.backward()
    easy = hard_normal_mask(regional_cosine_distance(f_e, f_d.detach()), alpha)  # B x H x W
    easy_c = easy.unsqueeze(1).expand_as(f_d)
    assert 0 < easy.sum() < easy.numel()
    assert torch.all(f_d.grad[easy_c] == 0)
    assert torch.allclose(f_d.grad[~easy_c], g_plain[~easy_c])  # hard points keep their gradient, unscaled


def test_hard_mining_factor_scales_easy_gradients():
    torch.manual_seed(1)
    f_e = torch.randn(1, 4, 5, 5)
    f_d = torch.randn(1, 4, 5, 5, requires_grad=True)
    (g_plain,) = torch.autograd.grad(global_loss([f_e], [f_d]), f_d)
    global_loss_hm([f_e], [f_d], 0.0, factor=0.1).backward()
    easy = hard_normal_mask(regional_cosine_distance(f_e, f_d.detach()), 0.0).unsqueeze(1).expand_as(f_d)
    assert torch.allclose(f_d.grad[easy], 0.1 * g_plain[easy])
