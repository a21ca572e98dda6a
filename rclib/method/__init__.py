"""The method of the paper's Section 2: encoders, the one-class bottleneck, the reverse decoder, the losses of
Eq. 1-5, and the network that combines them for every row of Table 6."""

from .encoders import SPECS, WeightsUnavailableError, build_encoder
from .losses import (
    global_cosine_distance,
    global_loss,
    global_loss_hm,
    hard_mining_alpha,
    hard_normal_mask,
    region_loss,
    regional_cosine_distance,
)
from .model import ReContrast, build_model

__all__ = [
    "SPECS",
    "ReContrast",
    "WeightsUnavailableError",
    "build_encoder",
    "build_model",
    "global_cosine_distance",
    "global_loss",
    "global_loss_hm",
    "hard_mining_alpha",
    "hard_normal_mask",
    "region_loss",
    "regional_cosine_distance",
]
