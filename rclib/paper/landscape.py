"""Fig. 4: the S^map landscape around a trained model, with the ``loss-landscapes`` package (Li et al.).

``loss-landscapes`` 3.0.6 has traps that :func:`smap_landscape` handles:

1. filter normalisation fails on 1-D parameters that are exactly zero (fresh BatchNorm biases): such
   entries are nudged by 1e-6 -- on a private copy of the model;
2. without ``deepcopy_model=True`` it moves the caller's weights and switches off their gradients: the
   caller's model is deep-copied first *and* ``deepcopy_model=True`` is passed;
3. its random directions are made on the CPU: the copy lives on the CPU;
4. its snake traversal evaluates even and odd grid columns one step apart along the second direction:
   the columns are re-aligned, giving a ``steps x (steps - 1)`` grid on common coordinates;
5. ``distance`` divides the step in 3.0.6 (one step is ||theta|| / distance / steps); the paper's
   ``distance=1`` is unaffected. Axes here are in units of ||theta||, so planes of any ``distance`` share units.

Only the bottleneck and decoder (the parameters every configuration trains) are perturbed; the metric is
the mean S^map over a fixed batch of images, as in the paper. The frozen encoder's features do not change
along the plane, so they are computed once.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from loss_landscapes import random_plane
from loss_landscapes.metrics import Metric
from loss_landscapes.model_interface.model_wrapper import GeneralModelWrapper

from ..method.model import ReContrast
from ..scoring.anomaly_map import anomaly_map


class MeanSmap(Metric):
    """The mean of S^map over the images whose encoder features ``enc`` are given: the quantity Fig. 4 plots."""

    def __init__(self, enc: list[torch.Tensor], size: int) -> None:
        super().__init__()
        self.enc, self.size = enc, size

    def __call__(self, model_wrapper: GeneralModelWrapper) -> float:
        with torch.no_grad():
            dec = model_wrapper.forward(self.enc)
            return float(anomaly_map(self.enc, dec, self.size).mean())


@dataclass
class Landscape:
    """S^map on a plane through the trained weights; offsets in units of the weights' norm ||theta||."""

    values: np.ndarray  # rows along direction 1, columns along direction 2
    axis_one: np.ndarray  # offset along direction 1, as a fraction of ||theta||
    axis_two: np.ndarray
    centre: float  # S^map at the trained weights

    def spread(self) -> float:
        """How much S^map varies over the whole plane (its standard deviation): low means flat."""
        return float(self.values.std())

    def rise(self, radius: float) -> float:
        """Mean S^map within ``radius`` (fraction of ||theta||) of the trained weights, minus S^map there:
        how steeply the landscape climbs out of the minimum."""
        r = np.hypot(*np.meshgrid(self.axis_one, self.axis_two, indexing="ij"))
        near = self.values[(r <= radius) & (r > 0)]
        if near.size == 0:
            raise ValueError(
                f"no grid point within radius {radius}; the grid's finest step is {np.diff(self.axis_one)[0]:.3g}"
            )
        return float(near.mean() - self.centre)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, values=self.values, axis_one=self.axis_one, axis_two=self.axis_two, centre=self.centre)

    @classmethod
    def load(cls, path: Path) -> Landscape:
        with np.load(path) as f:
            return cls(f["values"], f["axis_one"], f["axis_two"], float(f["centre"]))


def _nudge_zero_vectors(model: torch.nn.Module, eps: float = 1e-6) -> None:
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim == 1:
                p[p == 0] = eps


def smap_landscape(
    model: ReContrast,
    images: torch.Tensor,
    *,
    distance: float = 1.0,
    steps: int = 50,
    seed: int = 0,
    normalization: str = "filter",
) -> Landscape:
    """S^map over a random plane through the trained weights of a single-encoder model (Configs A-D),
    ``steps x steps`` evaluations spanning +-1/(2 distance) ||theta||. The caller's model is left untouched."""
    if steps < 2 or steps % 2:
        raise ValueError(f"steps={steps}: expected an even number >= 2 (the trained weights sit on the grid's centre)")
    if model.frozen_encoder is not None:
        raise ValueError("smap_landscape perturbs the decoder of a single-encoder model (Configs A-D, as Fig. 4)")
    net = copy.deepcopy(model).cpu().eval()
    _nudge_zero_vectors(net)
    with torch.no_grad():
        enc = net.encoder(images.detach().cpu())
    metric = MeanSmap(enc, images.shape[-1])
    wrapper = GeneralModelWrapper(net, [net.bottleneck, net.decoder], lambda m, feats: m.decoder(m.bottleneck(feats)))
    centre = metric(wrapper)
    plane = random_plane_aligned(
        wrapper, metric, distance=distance, steps=steps, seed=seed, normalization=normalization
    )
    return Landscape(*plane, centre)


def random_plane_aligned(
    wrapper: GeneralModelWrapper, metric: Metric, *, distance: float, steps: int, seed: int, normalization: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``loss_landscapes.random_plane`` with its snake traversal undone: ``(values, axis_one, axis_two)`` on common
    coordinates, ``values[i, j]`` the metric at offset ``axis_one[i]`` along direction 1 and ``axis_two[j]`` along
    direction 2 (fractions of ||theta||; the trained weights at offset 0)."""
    torch.manual_seed(seed)  # the directions come from the global torch RNG
    raw = random_plane(
        wrapper, metric, distance=distance, steps=steps, normalization=normalization, deepcopy_model=True
    )
    # even columns were evaluated at offsets 1..steps along direction 2, odd ones at 0..steps-1
    aligned = np.stack([col[:-1] if i % 2 == 0 else col[1:] for i, col in enumerate(raw)])
    unit = 1.0 / (distance * steps)  # one grid step, as a fraction of ||theta||
    half = steps / 2
    return aligned, (np.arange(steps) - half) * unit, (np.arange(1, steps) - half) * unit


def cached_landscape(path: Path, model: ReContrast, images: torch.Tensor, **kwargs) -> Landscape:
    """:func:`smap_landscape`, kept in ``path`` (``.npz``) so that figures and claims share one computation."""
    if path.exists():
        return Landscape.load(path)
    landscape = smap_landscape(model, images, **kwargs)
    landscape.save(path)
    return landscape
