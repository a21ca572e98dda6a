"""The reverse decoder: the encoder turned upside down (RD4AD ``de_resnet``), plus ReContrast's heads.

Each decoder stage starts with a block whose stride-2 3x3 convolution *and* shortcut are replaced by 2x2
transposed convolutions (the shortcut's followed by BN). Stage block counts follow RD4AD ([3, 4, 6] for the
ResNet50 family, not mirrored). With contrastive pairs every stage gets two 1x1 projection heads: head 0
reconstructs the frozen encoder, head 1 the trained encoder (Appendix C).
"""

from __future__ import annotations

from torch import Tensor, nn
from torchvision.models.resnet import conv1x1, conv3x3

from .bottleneck import init_weights
from .encoders import EncoderSpec


def deconv2x2(in_planes: int, out_planes: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(in_planes, out_planes, kernel_size=2, stride=2, bias=False)


def _activation(name: str) -> nn.Module:
    return nn.GELU() if name == "gelu" else nn.ReLU(inplace=True)


class DeBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, upsample: nn.Module | None, act: str, *, base_width: int = 64):
        super().__init__()
        self.conv1 = deconv2x2(inplanes, planes) if upsample is not None else conv3x3(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.act1, self.act2 = _activation(act), _activation(act)
        self.upsample = upsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = self.upsample(x) if self.upsample is not None else x
        return self.act2(out + identity)


class DeBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, upsample: nn.Module | None, act: str, *, base_width: int = 64):
        super().__init__()
        width = int(planes * base_width / 64)
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = deconv2x2(width, width) if upsample is not None else conv3x3(width, width)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.act1, self.act2, self.act3 = _activation(act), _activation(act), _activation(act)
        self.upsample = upsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = self.upsample(x) if self.upsample is not None else x
        return self.act3(out + identity)


class ReverseDecoder(nn.Module):
    """Bottleneck output (``2*C3`` at stride 32) -> reconstructions at strides 16, 8, 4.

    ``forward`` returns the raw stage features in encoder order ``[stride 4, stride 8, stride 16]``;
    :meth:`project` applies head ``h`` (0 or 1) of each stage when ``num_heads == 2``.
    """

    def __init__(self, spec: EncoderSpec, in_channels: int, num_heads: int = 0, activation: str = "relu"):
        super().__init__()
        block = DeBottleneck if spec.block == "bottleneck" else DeBasicBlock
        inplanes = in_channels
        stages = []
        for out_channels, n_blocks in zip(reversed(spec.channels), spec.decoder_blocks, strict=True):
            planes = out_channels // block.expansion
            upsample = nn.Sequential(deconv2x2(inplanes, out_channels), nn.BatchNorm2d(out_channels))
            layers = [block(inplanes, planes, upsample, activation, base_width=spec.base_width)]
            layers += [
                block(out_channels, planes, None, activation, base_width=spec.base_width) for _ in range(n_blocks - 1)
            ]
            stages.append(nn.Sequential(*layers))
            inplanes = out_channels
        self.stages = nn.ModuleList(stages)
        self.num_heads = num_heads
        self.heads = nn.ModuleList(
            nn.ModuleList(nn.Conv2d(c, c, kernel_size=1, bias=True) for c in spec.channels) for _ in range(num_heads)
        )
        init_weights(self)

    def forward(self, x: Tensor) -> list[Tensor]:
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats[::-1]

    def project(self, feats: list[Tensor], head: int) -> list[Tensor]:
        return [conv(f) for conv, f in zip(self.heads[head], feats, strict=True)]
