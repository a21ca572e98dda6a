"""Table A5's columns for a configuration: parameters (total, trainable, the official count), MACs, stages."""

from __future__ import annotations

import torch

from ..config import ReContrastConfig
from ..method.bottleneck import unused_official_parameters
from ..method.encoders import SPECS, STRIDES
from ..method.model import build_model
from .reference import table_a5_reference

UNUSED_OFFICIAL_PARAMS = "conv4/bn4 of the official bottleneck: built, counted in Table A5, never used"


def describe(config: ReContrastConfig, pretrained: bool = False) -> dict:
    """Parameters and MACs (thop) of ``config``'s network beside Table A5's values, and its feature stages."""
    from thop import profile

    model = build_model(config, pretrained=pretrained).eval()
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for g in model.parameter_groups().values() for p in g)
    unused = unused_official_parameters(model.bottleneck)
    size = config.crop_size or config.image_size
    x = torch.zeros(1, 3, size, size)
    macs, _ = profile(model, inputs=(x,), verbose=False)
    for m in model.modules():  # thop leaves counters behind as buffers; drop them
        for key in ("total_ops", "total_params"):
            m._buffers.pop(key, None)
    with torch.no_grad():
        enc, _ = model(x)
    ref = table_a5_reference(config)
    return {
        "preset": config.name,
        "backbone": config.backbone,
        "pretrained": pretrained,
        "image_size": size,
        "params_total_M": round(total / 1e6, 3),
        "params_trainable_M": round(trainable / 1e6, 3),
        "params_unused_official_M": round(unused / 1e6, 3),
        "params_official_count_M": round((total + unused) / 1e6, 3),
        "params_paper_M": ref.get("Params(M)"),
        "macs_G": round(macs / 1e9, 3),
        "macs_paper_G": ref.get("MACs(G)"),
        "stage_channels": list(SPECS[config.backbone].channels),
        "stage_strides": list(STRIDES),
        "stage_shapes": [list(f.shape[1:]) for f in enc[-3:]],
        "note": UNUSED_OFFICIAL_PARAMS,
    }
