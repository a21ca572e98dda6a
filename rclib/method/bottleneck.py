"""RD4AD's one-class bottleneck embedding (OCBE): multi-scale feature fusion + a layer4-like stage.

Derived from the encoder's stage channels ``(C1, C2, C3)`` so that one implementation serves every
backbone. The official ``conv4``/``bn4`` are built there but never used in ``forward``; they are not built here
(:func:`unused_official_parameters` counts them, and ``rclib describe`` reports the difference to Table A5).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1, conv3x3

from .encoders import EncoderSpec


def residual_block(kind: str) -> type[BasicBlock] | type[Bottleneck]:
    return {"basic": BasicBlock, "bottleneck": Bottleneck}[kind]


class OneClassBottleneck(nn.Module):
    """MFF (stride-2 convs bring stages 1 and 2 to stage 3's size, concatenation) then OCE (residual blocks,
    the first with stride 2), producing ``2*C3`` channels at stride 32."""

    def __init__(self, spec: EncoderSpec) -> None:
        super().__init__()
        c1, c2, c3 = spec.channels
        block = residual_block(spec.block)
        self.mff1 = nn.Sequential(
            conv3x3(c1, c2, 2),
            nn.BatchNorm2d(c2),
            nn.ReLU(inplace=True),
            conv3x3(c2, c3, 2),
            nn.BatchNorm2d(c3),
            nn.ReLU(inplace=True),
        )
        self.mff2 = nn.Sequential(conv3x3(c2, c3, 2), nn.BatchNorm2d(c3), nn.ReLU(inplace=True))
        out = 2 * c3
        planes = out // block.expansion
        downsample = nn.Sequential(conv1x1(3 * c3, out, 2), nn.BatchNorm2d(out))
        blocks = [block(3 * c3, planes, 2, downsample, base_width=spec.base_width)]
        blocks += [block(out, planes, base_width=spec.base_width) for _ in range(spec.bottleneck_blocks - 1)]
        self.oce = nn.Sequential(*blocks)
        self.out_channels = out
        init_weights(self)

    def forward(self, feats: list[Tensor]) -> Tensor:
        fused = torch.cat([self.mff1(feats[0]), self.mff2(feats[1]), feats[2]], dim=1)
        return self.oce(fused).contiguous()


def unused_official_parameters(bottleneck: OneClassBottleneck) -> int:
    """Parameters of the official bottleneck's dead ``conv4``/``bn4`` (1x1 conv 2*out -> out, and BN(2*out)):
    built, counted in Table A5, never used in ``forward``."""
    out = bottleneck.out_channels
    return 2 * out * out + 2 * (2 * out)


def init_weights(module: nn.Module) -> None:
    """The official initialisation: Kaiming-normal (fan_out) for ``Conv2d``; BN weight 1, bias 0.
    ``ConvTranspose2d`` keeps PyTorch's default, as in RD4AD (it is not an ``nn.Conv2d``)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
