"""What a frozen encoder computes on the training images, computed once per run instead of once per iteration.

The training images are not augmented (Appendix C, as the official code) and a frozen encoder is in eval mode
without gradients, so its features of a training image are the same at every iteration. With
``config.cache_frozen_features`` :func:`frozen_features` computes them for the whole training set before the
first step and every step reads its batch's rows (:meth:`rclib.method.model.ReContrast.forward`'s ``frozen``).
On the CPUs measured a convolution rounds each image the same way whatever the other images of its batch, so the
cached features are the same bits as those computed at every step and training is bit-identical with and without the
cache. That depends on the backend (oneDNN or cuDNN may pick another algorithm for another batch size), so the tests
check it on the machine they run on, and the repository's benchmarks/switch_identity.py at the demo's settings.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset

from ..config import ReContrastConfig
from ..method.model import ReContrast


@torch.no_grad()
def frozen_features(
    model: ReContrast, data: Dataset, c: ReContrastConfig, device: torch.device
) -> list[torch.Tensor] | None:
    """Per stage, the frozen part's features of every image of ``data`` in order (N x C x H x W, on ``device``),
    or None when the configuration does not cache them or has no frozen part (Configs C, D)."""
    part = model.frozen_part
    if part is None or not c.cache_frozen_features:
        return None
    was_training = part.training
    part.eval()
    chunks = []
    for batch in DataLoader(data, batch_size=c.batch_size, shuffle=False, num_workers=c.num_workers):
        images = batch.image.to(device)
        if c.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        chunks.append(part(images))
    part.train(was_training)
    return [torch.cat([chunk[k] for chunk in chunks]) for k in range(len(chunks[0]))]


def batch_features(features: list[torch.Tensor] | None, index: list[int], c: ReContrastConfig) -> list | None:
    """The rows ``index`` of :func:`frozen_features`' tensors, in the configuration's memory format."""
    if features is None:
        return None
    rows = torch.as_tensor(index, device=features[0].device)
    picked = [f.index_select(0, rows) for f in features]
    return [f.contiguous(memory_format=torch.channels_last) for f in picked] if c.channels_last else picked
