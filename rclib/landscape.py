"""Fig. 4: the S^map landscape around a trained model, with the ``loss-landscapes`` package (Li et al.).

``loss-landscapes`` 3.0.6 has traps that :func:`smap_landscape` handles (``shared/spec/notebook_conventions.md`` §3):

1. filter normalisation fails on 1-D parameters that are exactly zero (fresh BatchNorm biases): such
   entries are nudged by 1e-6 -- on a private copy of the model;
2. without ``deepcopy_model=True`` it moves the caller's weights and switches off their gradients: the
   caller's model is deep-copied first *and* ``deepcopy_model=True`` is passed;
3. its random directions are made on the CPU: the copy lives on the CPU;
4. its snake traversal evaluates even and odd grid columns one step apart along the second direction:
   the columns are re-aligned, giving a ``steps x (steps - 1)`` grid on common coordinates;
5. ``distance`` divides the step in 3.0.6 (step = ||theta|| / distance / steps); the paper's ``distance=1``
   is unaffected.

Only the bottleneck and decoder (the parameters every configuration trains) are perturbed; the metric is
the mean S^map over a fixed batch of images, as in the paper.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from loss_landscapes import random_plane
from loss_landscapes.metrics import Metric
from loss_landscapes.model_interface.model_wrapper import GeneralModelWrapper

from .anomaly_map import anomaly_map


class MeanSmap(Metric):
    """The mean of S^map over ``images``: the quantity Fig. 4 plots."""

    def __init__(self, images: torch.Tensor) -> None:
        super().__init__()
        self.images = images

    def __call__(self, model_wrapper: GeneralModelWrapper) -> float:
        with torch.no_grad():
            enc, dec = model_wrapper.forward(self.images)
            return float(anomaly_map(enc, dec, self.images.shape[-1]).mean())


@dataclass
class Landscape:
    values: np.ndarray  # S^map on the grid, rows along direction 1, columns along direction 2
    axis_one: np.ndarray  # grid coordinates in steps from the trained weights
    axis_two: np.ndarray
    centre: float  # S^map at the trained weights


def _nudge_zero_vectors(model: torch.nn.Module, eps: float = 1e-6) -> None:
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim == 1:
                p[p == 0] = eps


def smap_landscape(model: torch.nn.Module, images: torch.Tensor, distance: float = 1.0, steps: int = 50, seed: int = 0, normalization: str = "filter") -> Landscape:
    """S^map over a random plane through the trained weights (``steps x steps`` evaluations). The caller's
    model is left untouched."""
    if steps < 2:
        raise ValueError(f"steps={steps}: expected at least 2")
    net = copy.deepcopy(model).cpu().eval()
    _nudge_zero_vectors(net)
    images = images.detach().cpu()
    centre = MeanSmap(images)(GeneralModelWrapper(net, [net], lambda m, x: m(x)))
    wrapper = GeneralModelWrapper(net, [net.bottleneck, net.decoder], lambda m, x: m(x))
    torch.manual_seed(seed)  # the directions come from the global torch RNG
    raw = random_plane(wrapper, MeanSmap(images), distance=distance, steps=steps, normalization=normalization, deepcopy_model=True)
    # even columns were evaluated at offsets 1..steps along direction 2, odd ones at 0..steps-1
    aligned = np.stack([col[:-1] if i % 2 == 0 else col[1:] for i, col in enumerate(raw)])
    half = steps / 2
    return Landscape(aligned, np.arange(steps) - half, np.arange(1, steps) - half, centre)
