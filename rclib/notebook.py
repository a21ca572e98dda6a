"""What every notebook does in its second cell: check the parameters, resolve the profile, find the data.

Papermill injects parameters as literals, so a wrong type (``-p seed one``) would otherwise surface deep
inside a training run; :func:`setup` names the parameter and the expected type instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from . import plots, tables
from .anomaly_map import score
from .cache import cached_fit
from .config import ReContrastConfig
from .data import DATASETS, open_dataset
from .profiles import Profile, default_data_root, get_profile, profile_config
from .train import Run

EXPECTED_TYPES: dict[str, tuple[type, ...]] = {
    "profile": (str,), "data_root": (str,), "dataset": (str,), "categories": (list, tuple), "backbone": (str,),
    "seed": (int,), "device": (str,), "progress": (bool,), "recompute": (bool,), "results_root": (str,),
    "figures_root": (str,), "data_dir": (str,),
}


class NotebookParameterError(TypeError):
    """A notebook parameter has the wrong type or value."""


def check_parameters(params: dict[str, Any]) -> None:
    for name, value in params.items():
        expected = EXPECTED_TYPES.get(name)
        if expected and (not isinstance(value, expected) or (expected == (int,) and isinstance(value, bool))):
            names = " or ".join(t.__name__ for t in expected)
            raise NotebookParameterError(f"notebook parameter {name!r} must be {names}, got {type(value).__name__} {value!r}")
    if "categories" in params and not all(isinstance(c, str) for c in params["categories"]):
        raise NotebookParameterError(f"notebook parameter 'categories' must be a list of str, got {params['categories']!r}")


@dataclass
class Context:
    """The resolved parameters of one notebook run, and helpers that keep notebook cells short."""

    profile: Profile
    dataset: str
    data_root: Path
    categories: tuple[str, ...]
    backbone: str
    seed: int
    device: str
    progress: bool
    recompute: bool
    results: Path
    figures: Path
    data_dir: Path

    @property
    def category(self) -> str:
        return self.categories[0]

    def config(self, preset: str, category: str | None = None, dataset: str | None = None, **overrides: Any) -> ReContrastConfig:
        base = dict(backbone=self.backbone, seed=self.seed, device=self.device)
        return profile_config(self.profile, preset, dataset or self.dataset, category or self.category, **{**base, **overrides})

    def run(self, preset: str, category: str | None = None, **overrides: Any) -> Run:
        """The cached run of ``preset`` (trained now if it is not cached yet)."""
        config = self.config(preset, category, **overrides)
        return cached_fit(config, self.dataset, self.data_root, category or self.category, self.results, recompute=self.recompute, progress=self.progress)

    def run_on(self, dataset: str, data_root: Path, preset: str, category: str, **overrides: Any) -> Run:
        """A cached run on another data set than the notebook's (the table notebooks)."""
        config = self.config(preset, category, dataset=dataset, **overrides)
        return cached_fit(config, dataset, data_root, category, self.results, recompute=self.recompute, progress=self.progress)

    def alpha_values(self) -> tuple[float, ...]:
        """Table A4's alpha values trained besides -inf (Config E) and 1 (ReContrast) on this profile."""
        return (-2.0, -1.0, 0.0, 0.5, 1.5, 2.0) if self.profile.name == "paper" else (0.0,)

    def train_set(self, category: str | None = None, config: ReContrastConfig | None = None):
        c = config or self.config("ReContrast", category)
        return open_dataset(self.dataset, self.data_root, category or self.category, "train", c.image_size, c.crop_size)

    def gallery(self, runs: dict[str, Run], n: int, category: str | None = None):
        """Anomaly maps of each run on ``n`` defective test images, one defect type after another."""
        test = self.test_set(category)
        anomalous = [i for i in range(len(test)) if test.labels[i]]
        by_type: dict[str, list[int]] = {}
        for i in anomalous:
            by_type.setdefault(Path(test.items[i][0]).parent.name, []).append(i)
        order = [idx for group in zip(*by_type.values()) for idx in group] or anomalous
        picked = order[:n]
        samples = [test[i] for i in picked]
        images = torch.stack([s.image for s in samples])
        maps = {name: score(r.model, images)[0].cpu().numpy() for name, r in runs.items()}
        return plots.plot_anomaly_gallery([s.image for s in samples], [s.mask for s in samples], maps,
                                          [Path(s.path).parent.name for s in samples])

    def test_set(self, category: str | None = None, config: ReContrastConfig | None = None):
        c = config or self.config("ReContrast", category)
        return open_dataset(self.dataset, self.data_root, category or self.category, "test", c.image_size, c.crop_size, c.mask_threshold)

    def save_figure(self, fig, name: str) -> list[Path]:
        return plots.savefig(fig, name, self.figures)

    def save_table(self, df: pd.DataFrame, name: str) -> list[Path]:
        return tables.save_table(df, name, self.results / "tables")

    def data_present(self, dataset: str) -> Path | None:
        """The folder of ``dataset`` if it is there (``<data_dir>/<dataset>``), else None."""
        root = self.data_dir / dataset
        return root if root.is_dir() and any(root.iterdir()) else None


def setup(
    profile: str = "demo",
    data_root: str = "",
    dataset: str = "",
    categories: list | tuple = (),
    backbone: str = "",
    seed: int = 111,
    device: str = "auto",
    progress: bool = True,
    recompute: bool = False,
    results_root: str = "../results",
    figures_root: str = "../figures",
    data_dir: str = "../data",
) -> Context:
    """Validate the notebook's parameters and resolve everything derived from ``profile``."""
    check_parameters(dict(profile=profile, data_root=data_root, dataset=dataset, categories=categories, backbone=backbone,
                          seed=seed, device=device, progress=progress, recompute=recompute, results_root=results_root,
                          figures_root=figures_root, data_dir=data_dir))
    prof = get_profile(profile)
    dataset = dataset or prof.dataset
    if dataset not in DATASETS:
        raise NotebookParameterError(f"notebook parameter 'dataset'={dataset!r}: valid datasets are {', '.join(DATASETS)}")
    root = Path(data_root) if data_root else default_data_root(prof, dataset, data_dir)
    cats = tuple(categories) or (prof.categories if dataset == prof.dataset else DATASETS[dataset][1])
    plots.apply_style()
    ctx = Context(prof, dataset, root, cats, backbone or prof.backbone, seed, device, progress, recompute,
                  Path(results_root) / prof.name, Path(figures_root) / prof.name, Path(data_dir))
    print(prof.note)
    print(f"data: {dataset} at {root}; categories: {', '.join(cats)}; backbone: {ctx.backbone}")
    return ctx
