"""A faster copy of a model for scoring: BatchNorm folded into the convolutions, channels_last tensors.

At test time every BatchNorm is in eval mode, an affine map per channel with fixed statistics, so it can be
folded into the convolution that feeds it (``torch.nn.utils.fusion.fuse_conv_bn_eval``): one pass over the
feature map instead of two. With channels_last memory format the depthwise convolutions of EfficientNet and
the convolutions of ResNets run faster on CPUs (and on tensor cores). The copy computes the same function up
to float rounding; the repository's ``benchmarks/bench_eval.py`` measures how far its metrics move and how much
faster it is. The trained model is left untouched.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

# BatchNorm child -> the convolution child that feeds it, in the blocks rclib builds or borrows: torchvision
# ResNet blocks and stems (conv1/bn1 ...), rclib's decoder blocks (same names), the EfficientNet-Lite0 stem of
# rclib's encoder and the package's MBConv blocks. In an nn.Sequential a BatchNorm follows its convolution.
CONV_OF_BN = {
    "bn1": "conv1",
    "bn2": "conv2",
    "bn3": "conv3",
    "bn0": "conv_stem",
    "_bn0": "_expand_conv",
    "_bn1": "_depthwise_conv",
    "_bn2": "_project_conv",
}
CONVOLUTIONS = (nn.Conv2d, nn.ConvTranspose2d)


def fold_batchnorm(module: nn.Module) -> int:
    """Fold every eval-mode BatchNorm of ``module`` into the convolution before it (in place) and replace
    the BatchNorm by ``nn.Identity``. Returns how many were folded. Only valid in eval mode."""
    folded = 0
    for parent in list(module.modules()):
        children = dict(parent.named_children())
        names = list(children)
        for i, (name, child) in enumerate(children.items()):
            if not isinstance(child, nn.BatchNorm2d):
                continue
            if child.training:
                raise ValueError(f"cannot fold BatchNorm '{name}' in train mode; call .eval() first")
            conv_name = names[i - 1] if isinstance(parent, nn.Sequential) and i > 0 else CONV_OF_BN.get(name)
            conv = children.get(conv_name)
            if not isinstance(conv, CONVOLUTIONS):
                continue
            transposed = isinstance(conv, nn.ConvTranspose2d)
            setattr(parent, conv_name, fuse_conv_bn_eval(conv, child, transpose=transposed))
            setattr(parent, name, nn.Identity())
            folded += 1
    return folded


def inference_model(model: nn.Module, channels_last: bool = True) -> nn.Module:
    """An eval-mode copy of ``model`` for scoring: BatchNorms folded into their convolutions, ReLU6 in place
    and, when ``channels_last``, weights in channels_last memory format (feed it channels_last images)."""
    fast = copy.deepcopy(model).eval()
    with torch.no_grad():
        fold_batchnorm(fast)
    for module in fast.modules():
        # EfficientNet's ReLU6 now directly follows a convolution whose output nothing else reads
        if isinstance(module, nn.ReLU6):
            module.inplace = True
    fast.requires_grad_(False)
    return fast.to(memory_format=torch.channels_last) if channels_last else fast
