"""Helpers for the notebooks as a course: show a function's source beside its equation, and let a student move
alpha of Eq. 5 and see which points hard mining keeps."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import torch
from IPython.display import Code, display

from ..data import denormalize
from ..method.losses import hard_normal_mask
from ..paper.layout import set_caption


def show_source(*functions: Callable) -> None:
    """Display the source code of ``functions`` (what a notebook shows under the equation it implements)."""
    display(Code("\n\n".join(inspect.getsource(f) for f in functions), language="python"))


def plot_hard_mining(image: torch.Tensor, distance: torch.Tensor, alphas: Sequence[float]) -> plt.Figure:
    """Eq. 5 on one image: its regional distance map M and, per alpha, the points whose gradient hard mining
    keeps (distance >= mu + alpha sigma over the map; the rest are easy and dropped)."""
    fig, axes = plt.subplots(1, 2 + len(alphas), figsize=(2.3 * (2 + len(alphas)) + 0.8, 2.7), layout="constrained")
    axes[0].imshow(denormalize(image))
    axes[0].set_title("training image", fontsize=8)
    shown = axes[1].imshow(distance.numpy(), cmap="jet")
    axes[1].set_title("M (Eq. 1), one stage", fontsize=8)
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04).set_label("M = 1 - cos", fontsize=8)
    for ax, alpha in zip(axes[2:], alphas, strict=True):
        keep = ~hard_normal_mask(distance, alpha)
        ax.imshow(keep.numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"alpha = {alpha:g}: keeps {keep.float().mean():.0%}\n(white: gradient kept)", fontsize=8)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    return set_caption(
        fig,
        "Eq. 5 on one training image: the image, its regional distance map M (Eq. 1) at one encoder stage on its own",
        f"colour scale ({float(distance.min()):.3g} to {float(distance.max()):.3g}), and for alpha = "
        + ", ".join(f"{a:g}" for a in alphas),
        "the points whose gradient hard mining keeps (white: M >= mu + alpha sigma, mu and sigma over the map;",
        "black: easy points, dropped).",
    )


def hard_mining_explorer(image: torch.Tensor, distance: torch.Tensor, interactive: bool = True) -> None:
    """A slider over alpha that redraws :func:`plot_hard_mining` (JupyterLab); without widgets (papermill, or
    ``interactive=False``) nothing is drawn here and the notebook's static figure stands alone."""
    if not interactive:
        return
    try:
        import ipywidgets as widgets
    except ImportError:
        return

    def draw(alpha: float) -> None:
        fig = plot_hard_mining(image, distance, [alpha])
        plt.show(fig)

    slider = widgets.FloatSlider(value=1.0, min=-3.0, max=3.0, step=0.25, description="alpha", continuous_update=False)
    display(widgets.interactive(draw, alpha=slider))


def percent_kept(distance: torch.Tensor, alphas: Sequence[float]) -> dict[float, float]:
    """Share of points hard mining keeps at each alpha (for a Gaussian, alpha = 1 keeps about 16%)."""
    return {a: float((~hard_normal_mask(distance, a)).float().mean()) for a in alphas}


def gaussian_share_above(alpha: float) -> float:
    """P(X >= mu + alpha sigma) for a Gaussian: what Eq. 5 keeps if distances were normal."""
    from math import erf, sqrt

    return 0.5 * (1 - erf(alpha / sqrt(2)))
