"""Fig. 4's plane on common coordinates: loss-landscapes walks its grid as a snake, and rclib undoes it; C5's
spread and rise read the aligned plane, so a misalignment would move both."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from loss_landscapes.metrics import Metric
from loss_landscapes.model_interface.model_wrapper import GeneralModelWrapper

from rclib.paper.landscape import random_plane_aligned

STEPS = 8


class Output(Metric):
    """A metric linear in the weights: the sum of a linear layer's outputs on a fixed input."""

    def __init__(self, x: torch.Tensor) -> None:
        super().__init__()
        self.x = x

    def __call__(self, wrapper: GeneralModelWrapper) -> float:
        with torch.no_grad():
            return float(wrapper.forward(self.x).sum())


def plane(seed: int = 3):
    torch.manual_seed(0)
    layer = torch.nn.Linear(5, 3)
    x = torch.randn(4, 5)
    wrapper = GeneralModelWrapper(layer, [layer], lambda m, inputs: m(inputs))
    metric = Output(x)
    centre = metric(wrapper)
    values, one, two = random_plane_aligned(
        wrapper, metric, distance=1.0, steps=STEPS, seed=seed, normalization="filter"
    )
    return values, one, two, centre


def test_aligned_plane_of_a_linear_metric_is_a_plane_through_the_trained_weights():
    values, one, two, centre = plane()
    assert values.shape == (STEPS, STEPS - 1) and len(one) == STEPS and len(two) == STEPS - 1
    a, b = np.meshgrid(one, two, indexing="ij")
    design = np.stack([np.ones(a.size), a.ravel(), b.ravel()], axis=1)
    coef, residual, *_ = np.linalg.lstsq(design, values.ravel(), rcond=None)
    assert np.abs(design @ coef - values.ravel()).max() < 1e-4 * np.abs(values).max()
    assert abs(coef[2]) > 1e-3  # the metric changes along direction 2: a one-step shift would show
    i, j = int(np.argmin(np.abs(one))), int(np.argmin(np.abs(two)))
    assert one[i] == two[j] == 0.0 and values[i, j] == pytest.approx(centre, rel=1e-5)


def test_undoing_the_snake_matters():
    """Read as loss-landscapes returns it (dropping the last column instead of shifting the odd ones), the same
    linear metric is not a plane: the alignment is what makes C5's spread and rise mean what they say."""
    from loss_landscapes import random_plane

    torch.manual_seed(0)
    layer = torch.nn.Linear(5, 3)
    x = torch.randn(4, 5)
    wrapper = GeneralModelWrapper(layer, [layer], lambda m, inputs: m(inputs))
    torch.manual_seed(3)
    raw = np.asarray(
        random_plane(wrapper, Output(x), distance=1.0, steps=STEPS, normalization="filter", deepcopy_model=True)
    )
    naive = raw[:, :-1]
    a, b = np.meshgrid(np.arange(STEPS), np.arange(STEPS - 1), indexing="ij")
    design = np.stack([np.ones(a.size), a.ravel(), b.ravel()], axis=1)
    coef, *_ = np.linalg.lstsq(design, naive.ravel(), rcond=None)
    assert np.abs(design @ coef - naive.ravel()).max() > 1e-2 * np.abs(naive - naive.mean()).max()
