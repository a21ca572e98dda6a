"""The ReContrast network (Fig. 2, Configs A-E) and its training loss.

One class covers every Table 6 row:

* Configs A, B, B+hm: a frozen encoder (eval-mode BN, no gradient) -> bottleneck -> decoder.
* Configs C, D: the same single encoder, now optimised (without / with stop-gradient).
* Configs C+cp, E-gl, E, ReContrast: a trainable *and* a frozen copy of the encoder. Both views go through
  the bottleneck and decoder in one joint pass of 2B samples (so BN statistics are shared, as in the
  official code); head 0 of the trainable view reconstructs the frozen encoder and head 1 of the frozen view
  reconstructs the trainable encoder (cross reconstruction, as the official code does; the paper's sentence
  about the second head has a typo).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from ..config import ReContrastConfig
from .bottleneck import OneClassBottleneck
from .decoder import ReverseDecoder
from .encoders import SPECS, build_encoder, convert_partial_bn
from .losses import global_loss, global_loss_hm, hard_mining_alpha, region_loss


class ReContrast(nn.Module):
    """Encoder(s), one-class bottleneck and reverse decoder for the configuration ``config``."""

    def __init__(self, config: ReContrastConfig, encoder: nn.Module, pretrained: bool) -> None:
        super().__init__()
        self.config = config
        self.pretrained = pretrained
        self.spec = SPECS[config.backbone]
        self.frozen_encoder = copy.deepcopy(encoder) if config.contrastive_pairs else None
        if config.train_encoder and config.partial_bn:
            convert_partial_bn(encoder, config.partial_bn_threshold)
        self.encoder = encoder
        self.bottleneck = OneClassBottleneck(self.spec)
        heads = 2 if config.contrastive_pairs else 0
        self.decoder = ReverseDecoder(self.spec, self.bottleneck.out_channels, heads, config.decoder_activation)
        for frozen in (self.frozen_encoder, None if config.train_encoder else self.encoder):
            if frozen is not None:
                frozen.requires_grad_(False)
        self.train()

    # ----------------------------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> ReContrast:
        """Bottleneck and decoder follow ``mode``; a frozen encoder is always in eval mode; the trainable
        encoder's BN is in train mode only if ``config.encoder_bn_train`` (Appendix C)."""
        super().train(mode)
        if self.frozen_encoder is not None:
            self.frozen_encoder.eval()
        self.encoder.train(mode and self.config.train_encoder and self.config.encoder_bn_train)
        return self

    @property
    def num_pairs(self) -> int:
        return 6 if self.config.contrastive_pairs else 3

    @property
    def frozen_part(self) -> nn.Module | None:
        """The encoder whose features never change during training (the frozen copy with contrastive pairs, the
        only encoder of Configs A, B, B+hm), or None (Configs C, D)."""
        if self.frozen_encoder is not None:
            return self.frozen_encoder
        return None if self.config.train_encoder else self.encoder

    def forward(self, images: Tensor, frozen: list[Tensor] | None = None) -> tuple[list[Tensor], list[Tensor]]:
        """Returns ``(encoder_features, decoder_features)``: the lists of feature maps that are compared,
        pair ``i`` being ``(encoder_features[i], decoder_features[i])``. With contrastive pairs, pairs 0-2
        are (frozen encoder, head 0 of the trainable view) and 3-5 (trainable encoder, head 1 of the frozen
        view). ``frozen``: the :attr:`frozen_part`'s features of ``images`` when they are known already
        (computed once per training image; they do not change), instead of computing them again."""
        if self.frozen_encoder is None:
            if frozen is not None and not self.config.train_encoder:
                return frozen, self.decoder(self.bottleneck(frozen))
            with torch.set_grad_enabled(torch.is_grad_enabled() and self.config.train_encoder):
                enc = self.encoder(images)
            return enc, self.decoder(self.bottleneck(enc))
        trained = self.encoder(images)
        if frozen is None:
            with torch.no_grad():
                frozen = self.frozen_encoder(images)
        b = images.shape[0]
        joint = self.decoder(self.bottleneck([torch.cat([t, f]) for t, f in zip(trained, frozen, strict=True)]))
        # the 1x1 heads act per sample, so each is applied only to the half whose output is kept
        dec = self.decoder.project([d[:b] for d in joint], 0) + self.decoder.project([d[b:] for d in joint], 1)
        return frozen + trained, dec

    def alpha(self, iteration: int) -> float:
        """alpha of Eq. 5 at ``iteration`` (NaN when the preset does no hard mining)."""
        c = self.config
        if not c.hard_mining:
            return float("nan")
        return hard_mining_alpha(iteration, c.iterations, start=c.alpha_start, end=c.alpha_end, warmup=c.alpha_warmup)

    def loss(self, enc: list[Tensor], dec: list[Tensor], iteration: int) -> Tensor:
        """The preset's training loss at ``iteration`` (0-based count of completed updates).

        With contrastive pairs it is the mean over the two reconstruction groups, each with its own hard
        mining statistics (``L = 1/2 L(frozen targets) + 1/2 L(trained targets)``, as in the official code).
        """
        c = self.config
        groups = [(enc[:3], dec[:3]), (enc[3:], dec[3:])] if c.contrastive_pairs else [(enc, dec)]
        alpha = self.alpha(iteration)

        def group_loss(e: list[Tensor], d: list[Tensor]) -> Tensor:
            if c.loss == "region":
                return region_loss(e, d, stop_grad=c.stop_grad)
            if c.hard_mining:
                return global_loss_hm(e, d, alpha, c.hm_factor)
            return global_loss(e, d, stop_grad=c.stop_grad)

        return sum(group_loss(e, d) for e, d in groups) / len(groups)

    # ----------------------------------------------------------------------------------------------------
    def parameter_groups(self) -> dict[str, list[nn.Parameter]]:
        """``{"new": bottleneck + decoder, "encoder": trainable encoder (empty when frozen)}``."""
        new = list(self.bottleneck.parameters()) + list(self.decoder.parameters())
        return {"new": new, "encoder": list(self.encoder.parameters()) if self.config.train_encoder else []}


def build_model(config: ReContrastConfig, pretrained: bool = True) -> ReContrast:
    """The network of ``config``. ``pretrained=False`` gives random weights, and only when asked for."""
    return ReContrast(config, build_encoder(config.backbone, pretrained, config.image_size), pretrained)
