"""What a run costs in floating-point operations, counted without running it (on PyTorch's meta device)."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

from ..config import ReContrastConfig
from ..method.model import build_model


def conv_backward_flops(grad_out_shape, x_shape, w_shape, *rest, out_shape=None, **_) -> int:
    """FLOPs of a convolution's backward: the input gradient and the weight gradient each cost what the
    forward costs. (torch's own formula ignores ``groups`` there and counts a depthwise convolution's
    backward as a dense one's.)

    torch calls it with ``aten.convolution_backward``'s arguments in order: after the three shapes come
    ``rest`` = (bias sizes, stride, padding, dilation, transposed, output padding, groups, output mask)."""
    _bias, _stride, _padding, _dilation, transposed, _output_padding, _groups, output_mask = rest
    forward = conv_flop_count(list(x_shape), list(w_shape), list(grad_out_shape), transposed=transposed)
    return forward * (int(output_mask[0]) + int(output_mask[1]))


def flop_counter() -> FlopCounterMode:
    """torch's FLOP counter with :func:`conv_backward_flops` for convolution backwards."""
    return FlopCounterMode(display=False, custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flops})


def step_flops(config: ReContrastConfig) -> int:
    """FLOPs of one training step of ``config`` (forward and backward at its batch size and image size), counted
    on the meta device: no weights, no data, about a second even for WideResNet50."""
    with torch.device("meta"):
        model = build_model(config, pretrained=False)
    size = config.crop_size or config.image_size
    images = torch.empty(config.batch_size, 3, size, size, device="meta")
    counter = flop_counter()
    with counter:
        enc, dec = model(images)
        model.loss(enc, dec, config.iterations // 2).backward()
    return int(counter.get_total_flops())


def run_flops(config: ReContrastConfig) -> int:
    """Training FLOPs of a whole run (evaluations not counted)."""
    return step_flops(config) * config.iterations
