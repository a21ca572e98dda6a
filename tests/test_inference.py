"""The scoring copy of rclib.inference: every BatchNorm folded, the same function, the trained model untouched."""

from __future__ import annotations

import pytest
import torch

from rclib import build_model, get_preset
from rclib.method.encoders import SPECS, build_encoder
from rclib.scoring.evaluate import compute_metrics, predict
from rclib.scoring.inference import fold_batchnorm, inference_model


def _trained_statistics(model: torch.nn.Module, size: int) -> None:
    """Give every BatchNorm non-trivial running statistics and affine parameters (random weights)."""
    torch.manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        model.train()
        for _ in range(2):
            model(torch.randn(4, 3, size, size))
    model.eval()


@pytest.mark.parametrize("backbone", list(SPECS))
def test_every_batchnorm_is_folded_and_outputs_agree(backbone):
    model = build_model(get_preset("ReContrast", backbone=backbone, image_size=64, partial_bn=True), pretrained=False)
    _trained_statistics(model, 64)
    n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fast = inference_model(model)
    assert n_bn > 0 and not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        enc, dec = model(x)
        enc_f, dec_f = fast(x.contiguous(memory_format=torch.channels_last))
    for a, b in zip(enc + dec, enc_f + dec_f, strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-4 * a.abs().max().item())
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the trained model is untouched
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())


def test_folding_refuses_train_mode_batchnorm():
    encoder = build_encoder("resnet18", pretrained=False).train()
    with pytest.raises(ValueError, match="train mode"):
        fold_batchnorm(encoder)


def test_fast_and_exact_scoring_give_the_same_metrics(tmp_path):
    from rclib.data import DemoSpec, open_dataset, write_demo_data

    write_demo_data(tmp_path, DemoSpec(size=96, n_train=1, n_test_good=4, n_per_defect=2), categories=("brick",))
    test = open_dataset("mvtec_ad", tmp_path, "brick", "test", image_size=64)
    config = get_preset("ReContrast", backbone="efficientnet_lite0", image_size=64)
    fast = build_model(config, pretrained=True)
    exact = build_model(config.replace(fast_inference=False), pretrained=False)
    exact.load_state_dict(fast.state_dict())
    p_fast, p_exact = predict(fast, test), predict(exact, test)
    assert fast.training  # predict scored a copy and left the model's mode alone
    assert abs(p_fast.maps - p_exact.maps).max() < 1e-4 * abs(p_exact.maps).max()
    m_fast, m_exact = compute_metrics(p_fast), compute_metrics(p_exact)
    assert m_fast.keys() == m_exact.keys()
    assert all(abs(m_fast[k] - m_exact[k]) < 1e-2 for k in m_fast)


def test_scores_do_not_depend_on_the_evaluation_batch_size(tmp_path):
    from rclib.data import DemoSpec, open_dataset, write_demo_data

    write_demo_data(tmp_path, DemoSpec(size=96, n_train=1, n_test_good=4, n_per_defect=2), categories=("brick",))
    test = open_dataset("mvtec_ad", tmp_path, "brick", "test", image_size=64)
    model = build_model(get_preset("ReContrast", backbone="efficientnet_lite0", image_size=64), pretrained=True)
    one, many = predict(model, test, batch_size=1), predict(model, test, batch_size=len(test))
    # float rounding only (a batch-dependent layer, e.g. BatchNorm left in train mode, would differ by far more)
    assert len(test) > 1 and abs(one.maps - many.maps).max() <= 1e-5 * abs(one.maps).max()
    assert compute_metrics(one) == pytest.approx(compute_metrics(many), abs=1e-3)
