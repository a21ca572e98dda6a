"""Architecture, shapes, parameter counts and gradient flow of every preset (random weights, CPU)."""

from __future__ import annotations

import copy

import pytest
import torch

from rclib import PRESETS, build_model, get_preset
from rclib.method.encoders import SPECS, WeightsUnavailableError, build_encoder
from rclib.paper.complexity import describe

SMALL = ("resnet18", "efficientnet_lite0")


@pytest.mark.parametrize("backbone", list(SPECS))
@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_preset_builds_for_every_backbone(preset, backbone):
    model = build_model(get_preset(preset, backbone=backbone, image_size=64), pretrained=False)
    assert model.num_pairs == (6 if PRESETS[preset].contrastive_pairs else 3)
    if backbone in SMALL or preset in ("B", "ReContrast"):
        model.eval()
        with torch.no_grad():
            enc, dec = model(torch.randn(2, 3, 64, 64))
        channels = SPECS[backbone].channels
        assert len(enc) == len(dec) == model.num_pairs
        for i, (e, d) in enumerate(zip(enc, dec, strict=True)):
            c = channels[i % 3]
            side = 64 // (4, 8, 16)[i % 3]
            assert e.shape == d.shape == (2, c, side, side)


@pytest.mark.parametrize(
    "backbone,preset,paper",
    [
        ("resnet18", "B", 18.7),
        ("resnet18", "ReContrast", 21.7),
        ("resnet50", "B", 63.6),
        ("resnet50", "ReContrast", 74.9),
        ("wide_resnet50_2", "B", 117),
        ("wide_resnet50_2", "ReContrast", 145),
    ],
)
def test_parameter_counts_match_table_a5(backbone, preset, paper):
    d = describe(get_preset(preset, backbone=backbone, image_size=64))
    assert d["params_paper_M"] == pytest.approx(paper)
    assert d["params_official_count_M"] == pytest.approx(paper, rel=0.02)
    # the dead conv4/bn4 is counted by the paper but not built here
    assert d["params_total_M"] < d["params_official_count_M"]


def _step(model, images, iteration=0):
    enc, dec = model(images)
    loss = model.loss(enc, dec, iteration)
    loss.backward()
    return loss


def _encoder_grad(model) -> float:
    return sum(p.grad.abs().sum().item() for p in model.encoder.parameters() if p.grad is not None)


@pytest.mark.parametrize("preset", ["A", "B", "B+hm"])
def test_frozen_single_encoder_gets_no_gradient(preset):
    model = build_model(get_preset(preset, backbone="resnet18", image_size=64), pretrained=False)
    _step(model, torch.randn(2, 3, 64, 64))
    assert all(p.grad is None for p in model.encoder.parameters())
    assert any(p.grad is not None for p in model.decoder.parameters())


def _cut_decoder_path(model):
    forward = model.bottleneck.forward
    model.bottleneck.forward = lambda feats: forward([f.detach() for f in feats])


def test_config_c_encoder_gets_gradient_from_both_sides():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    model = build_model(get_preset("C", backbone="resnet18", image_size=64), pretrained=False)
    _step(model, x)
    assert _encoder_grad(model) > 0  # both paths
    cut = build_model(get_preset("C", backbone="resnet18", image_size=64), pretrained=False)
    cut.load_state_dict(model.state_dict())
    _cut_decoder_path(cut)
    _step(cut, x)
    assert _encoder_grad(cut) > 0  # the target side alone still reaches the encoder: no stop-gradient


def test_stop_gradient_leaves_only_the_decoder_path():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    model = build_model(get_preset("D", backbone="resnet18", image_size=64), pretrained=False)
    _step(model, x)
    assert _encoder_grad(model) > 0  # through the decoder
    _cut = copy.deepcopy(model)
    _cut.zero_grad(set_to_none=True)
    _cut_decoder_path(_cut)
    _step(_cut, x)
    assert _encoder_grad(_cut) == 0  # nothing comes from the target side


def test_recontrast_frozen_encoder_never_changes():
    torch.manual_seed(0)
    model = build_model(get_preset("ReContrast", backbone="resnet18", image_size=64), pretrained=False)
    before = copy.deepcopy(model.frozen_encoder.state_dict())
    opt = torch.optim.AdamW([p for g in model.parameter_groups().values() for p in g], lr=1e-2)
    for it in range(3):
        opt.zero_grad()
        _step(model, torch.randn(2, 3, 64, 64), it)
        assert all(p.grad is None for p in model.frozen_encoder.parameters())
        opt.step()
    after = model.frozen_encoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN running stats
    assert not model.frozen_encoder.training and model.encoder.training


def test_recontrast_pairs_are_cross_reconstructions():
    model = build_model(get_preset("ReContrast", backbone="resnet18", image_size=64), pretrained=False).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        enc, dec = model(x)
        frozen = model.frozen_encoder(x)
        trained = model.encoder(x)
        raw_from_trained = model.decoder(model.bottleneck(trained))
        raw_from_frozen = model.decoder(model.bottleneck(frozen))
    for k in range(3):
        assert torch.allclose(enc[k], frozen[k]) and torch.allclose(enc[3 + k], trained[k])
        assert torch.allclose(dec[k], model.decoder.heads[0][k](raw_from_trained[k]), atol=1e-5)
        assert torch.allclose(dec[3 + k], model.decoder.heads[1][k](raw_from_frozen[k]), atol=1e-5)


def test_encoder_bn_mode_follows_config():
    on = build_model(get_preset("ReContrast", backbone="resnet18", image_size=64), pretrained=False)
    off = build_model(
        get_preset("ReContrast", backbone="resnet18", image_size=64, encoder_bn_train=False), pretrained=False
    )
    assert on.train().encoder.training and not off.train().encoder.training
    b = build_model(get_preset("B", backbone="resnet18", image_size=64), pretrained=False)
    assert not b.train().encoder.training  # Config A/B: eval-mode BN (footnote 2)


def test_unknown_preset_and_field_errors_list_valid_names():
    with pytest.raises(ValueError, match="valid presets: A, B"):
        get_preset("F")
    with pytest.raises(ValueError, match="valid fields"):
        get_preset("B", learning_rate=1)
    with pytest.raises(ValueError, match="valid backbones|one of"):
        get_preset("B", backbone="vgg16")
    with pytest.raises(ValueError, match="divisible by 32"):
        get_preset("B", image_size=100)


def test_efficientnet_lite0_weights_are_real_imagenet():
    """The offline encoder is ImageNet-trained: its classifier calls scikit-image's cat photo a cat."""
    import numpy as np
    from efficientnet_lite_pytorch import EfficientNet
    from PIL import Image
    from skimage import data

    from rclib.data.images import ImageTransform
    from rclib.method.encoders import efficientnet_lite0_weights_path

    net = EfficientNet.from_name("efficientnet-lite0", image_size=224)
    state = torch.load(efficientnet_lite0_weights_path(), weights_only=True)
    net.load_state_dict(state)
    x = ImageTransform(224).image(Image.fromarray(np.ascontiguousarray(data.chelsea())))[None]
    with torch.no_grad():
        top = net.eval()(x).argmax(1).item()
    assert 281 <= top <= 285  # ImageNet's domestic cat classes
    encoder = build_encoder("efficientnet_lite0", pretrained=True, image_size=64)
    assert torch.equal(encoder.conv_stem.weight, state["_conv_stem.weight"])


def test_missing_torchvision_weights_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsUnavailableError) as err:
        build_encoder("resnet18", pretrained=True)
    msg = str(err.value)
    assert "resnet18-f37072fd.pth" in msg and str(tmp_path / "hub" / "checkpoints") in msg
    assert "--no-pretrained" in msg


def test_appendix_e_partial_batchnorm_floors_dead_channels():
    from rclib.config import stable_settings
    from rclib.method.encoders import PartialBatchNorm2d

    config = stable_settings(get_preset("ReContrast", backbone="resnet18", image_size=64))
    assert config.partial_bn and config.adam_reset_every == 500 and config.alpha_warmup == 0.2
    model = build_model(config, pretrained=False)
    assert any(isinstance(m, PartialBatchNorm2d) for m in model.encoder.modules())
    assert not any(isinstance(m, PartialBatchNorm2d) for m in model.frozen_encoder.modules())  # frozen stays plain
    bn = torch.nn.BatchNorm2d(2)
    bn.running_var.fill_(1e-3)  # pre-trained variance above the 5e-4 floor -> floor min(5e-4, 1e-3) = 5e-4
    pbn = PartialBatchNorm2d(bn).train()
    x = torch.randn(4, 2, 3, 3)
    x[:, 1] = 0.5 + 1e-4 * x[:, 1]  # a channel that barely fires: batch variance ~1e-8
    y = pbn(x)
    ref = torch.nn.functional.batch_norm(x, None, None, training=True, eps=bn.eps)
    assert torch.allclose(y[:, 0], ref[:, 0], atol=1e-5)  # a live channel is ordinary batch norm
    expected = (x[:, 1] - x[:, 1].mean()) / torch.sqrt(torch.tensor(5e-4) + bn.eps)
    assert torch.allclose(y[:, 1], expected, atol=1e-5)  # the dead one is not blown up to unit variance
    assert y[:, 1].abs().max() < 0.05
    # the gradient is that of the explicit formula, dead channel included
    x = x.double().requires_grad_()
    pbn = PartialBatchNorm2d(bn).double().train()
    w = torch.randn(4, 2, 3, 3, dtype=torch.float64)
    (grad,) = torch.autograd.grad((pbn(x) * w).sum(), x)
    mean, var = x.mean((0, 2, 3), keepdim=True), x.var((0, 2, 3), unbiased=False, keepdim=True)
    v = torch.where(x.var((0, 2, 3), keepdim=True) <= pbn.min_var.view(1, -1, 1, 1), pbn.min_var.view(1, -1, 1, 1), var)
    (expected_grad,) = torch.autograd.grad(((x - mean) / torch.sqrt(v + bn.eps) * w).sum(), x)
    assert torch.allclose(grad, expected_grad, atol=1e-10)


def test_unified_settings_switch_the_multiclass_recipe():
    from rclib.config import unified_settings

    c = unified_settings(get_preset("ReContrast", backbone="resnet18", image_size=64))
    assert (c.iterations, c.decoder_activation, c.encoder_bn_train, c.image_score, c.amsgrad) == (
        5000,
        "gelu",
        False,
        "top1",
        True,
    )
    model = build_model(c, pretrained=False)
    assert any(isinstance(m, torch.nn.GELU) for m in model.decoder.modules())
    assert not any(isinstance(m, torch.nn.GELU) for m in model.encoder.modules())


def test_unified_budget_on_the_cpu_profiles_keeps_the_recipes_ratio():
    from rclib.paper.profiles import get_profile, unified_config

    demo = get_profile("demo")
    c = unified_config(demo, "demo", demo.categories, seed=11)
    assert (c.iterations, c.eval_every, c.batch_size, c.seed) == (2.5 * demo.iterations, c.iterations, 8, 11)
    assert c.image_score == "top1" and not c.encoder_bn_train  # the recipe's switches
    paper = get_profile("paper")
    assert unified_config(paper, "mvtec_ad", paper.categories, seed=11).iterations == 5000  # as published


@pytest.mark.parametrize("backbone", list(SPECS))
def test_every_encoder_batchnorm_has_torch_momentum(backbone):
    """EfficientNet-Lite comes with TensorFlow's momentum 0.01; a trained encoder must update its running
    statistics at torchvision's 0.1, as the paper's ResNets do (frozen copy included)."""
    model = build_model(
        get_preset("ReContrast", backbone=backbone, image_size=64), pretrained=backbone == "efficientnet_lite0"
    )
    norms = [
        m for enc in (model.encoder, model.frozen_encoder) for m in enc.modules() if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert norms and {m.momentum for m in norms} == {0.1}
    bn = norms[0]
    before = bn.running_mean.clone()
    model.encoder.train()
    x = torch.randn(4, 3, 64, 64)
    with torch.no_grad():
        first = next(m for m in model.encoder.modules() if isinstance(m, torch.nn.Conv2d))
        batch_mean = first(x).mean((0, 2, 3))
        model.encoder(x)
    assert torch.allclose(bn.running_mean, 0.9 * before + 0.1 * batch_mean, atol=1e-4)
