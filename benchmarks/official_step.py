"""The official ReContrast training step, as the authors' code computes it, for timing beside rclib's.

A reference for speed only, written for this benchmark from the description of the official code
(``guojiajeremy/ReContrast``: ``models/recontrast.py``, ``utils.global_cosine_hm``, the training loop of
``recontrast_mvtec.py``), not imported from it. Per step it computes what the official code computes:

* the trainable encoder on the batch, and the frozen copy (``copy.deepcopy`` before training, eval mode) on the
  same batch under ``torch.no_grad()``, every step;
* bottleneck and decoder once on the 2B concatenation; both 1x1 projection sets on all 2B samples, then each output
  chunked and the kept halves picked (pairs 0-2: head 0 of the trainable half, 3-5: head 1 of the frozen half);
* ``global_cosine_hm`` per group: the point distances under no_grad, the global cosine loss, and a
  ``register_hook`` on every decoder output that zeroes the gradient of easy points; the two groups averaged;
* two AdamW optimisers (bottleneck + decoder at 2e-3, encoder at 1e-5), zero_grad, backward, step;
* fp32, contiguous (NCHW) tensors, no fusion.

The bottleneck, decoder and encoders are rclib's modules (the same layers as the official ones: Table A5's
parameter counts match), so that the two steps differ only in how a step is computed.
"""

from __future__ import annotations

import copy
from functools import partial

import torch
from torch import nn

from rclib.config import ReContrastConfig
from rclib.method.bottleneck import OneClassBottleneck
from rclib.method.decoder import ReverseDecoder
from rclib.method.encoders import SPECS, build_encoder


def _zero_easy(grad: torch.Tensor, easy: torch.Tensor) -> torch.Tensor:
    grad = grad.clone()
    grad[easy.expand_as(grad)] = 0.0
    return grad


def global_cosine_hm(a: list[torch.Tensor], b: list[torch.Tensor], alpha: float) -> torch.Tensor:
    """The official loss of one group: the global cosine loss, with a hook that drops easy points' gradient."""
    cos = nn.CosineSimilarity()
    loss = 0.0
    for target, out in zip(a, b, strict=True):
        target = target.detach()
        with torch.no_grad():
            point = 1 - cos(target, out).unsqueeze(1)
        thresh = point.mean() + alpha * point.reshape(-1).std()
        loss = loss + torch.mean(1 - cos(target.reshape(target.shape[0], -1), out.reshape(out.shape[0], -1)))
        out.register_hook(partial(_zero_easy, easy=point < thresh))
    return loss


class OfficialReContrast(nn.Module):
    """The official model's forward pass (``ReContrast.forward`` of ``models/recontrast.py``)."""

    def __init__(self, config: ReContrastConfig) -> None:
        super().__init__()
        spec = SPECS[config.backbone]
        self.encoder = build_encoder(config.backbone, False, config.image_size)
        self.encoder_freeze = copy.deepcopy(self.encoder).eval()
        self.bottleneck = OneClassBottleneck(spec)
        self.decoder = ReverseDecoder(spec, self.bottleneck.out_channels, 2, config.decoder_activation)

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        en = self.encoder(x)
        with torch.no_grad():
            en_freeze = self.encoder_freeze(x)
        joint = self.decoder(self.bottleneck([torch.cat([a, b]) for a, b in zip(en, en_freeze, strict=True)]))
        heads = self.decoder.project(joint, 0) + self.decoder.project(joint, 1)  # both sets on all 2B samples
        halves = [h.chunk(2, dim=0) for h in heads]
        de = [halves[0][0], halves[1][0], halves[2][0], halves[3][1], halves[4][1], halves[5][1]]
        return en_freeze + en, de


def official_step(config: ReContrastConfig):
    """A callable making one official training step on a batch (and the model it trains)."""
    model = OfficialReContrast(config).train()
    model.encoder_freeze.eval()
    new = list(model.bottleneck.parameters()) + list(model.decoder.parameters())
    kw = dict(betas=config.betas, weight_decay=config.weight_decay)
    optimizers = [
        torch.optim.AdamW(new, lr=config.lr, **kw),
        torch.optim.AdamW(model.encoder.parameters(), lr=config.encoder_lr, **kw),
    ]

    def step(images: torch.Tensor, alpha: float = 1.0) -> float:
        en, de = model(images)
        loss = (global_cosine_hm(en[:3], de[:3], alpha) + global_cosine_hm(en[3:], de[3:], alpha)) / 2
        for opt in optimizers:
            opt.zero_grad()
        loss.backward()
        for opt in optimizers:
            opt.step()
        return float(loss)

    return step, model
