"""A study: one profile's runs on one data set, as the notebooks, the claims, the tables and the grid ask for them.

:class:`Study` resolves a preset into the configuration at the profile's scale, hands out the cached run of
that configuration (trained on first use), opens its data, and knows the plan's seeds
(:mod:`rclib.paper.plan`): the story's for figures, each claim's own for its verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ReContrastConfig
from ..data import ImageDataset
from ..runs import Run, RunSpec, cached_run, open_split
from .plan import seed_plan
from .profiles import Profile, default_data_root, profile_config


@dataclass(frozen=True, kw_only=True)
class Study:
    """The runs of ``profile`` on ``categories`` of ``dataset`` (stored under ``data_root``), cached under
    ``results``. ``seeds`` overrides the plan's seeds everywhere (a reader's choice; empty: the plan's)."""

    profile: Profile
    dataset: str
    data_root: Path
    categories: tuple[str, ...]
    backbone: str
    results: Path
    data_dir: Path
    device: str = "cpu"
    recompute: bool = False
    progress: bool = False
    seeds: tuple[int, ...] = ()

    @classmethod
    def of(cls, profile: Profile, *, data_dir: Path, results: Path, **options: Any) -> Study:
        """The study of ``profile`` as it stands (its data set, categories, backbone; the plan's seeds), reading
        data under ``data_dir`` and caching runs under ``results``: for scripts outside the notebooks."""
        return cls(
            profile=profile,
            dataset=profile.dataset,
            data_root=default_data_root(profile, profile.dataset, data_dir),
            categories=tuple(profile.categories),
            backbone=profile.backbone,
            results=Path(results),
            data_dir=Path(data_dir),
            **options,
        )

    @property
    def category(self) -> str:
        """The category the story notebooks follow."""
        return self.categories[0]

    @property
    def story_seeds(self) -> tuple[int, ...]:
        """The seeds of the figures (the plan's story seeds unless overridden)."""
        return self.seeds or seed_plan(self.profile.name).story_seeds()

    @property
    def seed(self) -> int:
        """The first story seed: the one single-run cells (maps, landscapes) use."""
        return self.story_seeds[0]

    def claim_seeds(self, claim: str) -> tuple[int, ...]:
        """The seeds claim ``claim`` ("C3") is judged over: the plan's, unless overridden."""
        return self.seeds or seed_plan(self.profile.name).claim_seeds(claim)

    def config(
        self, preset: str, *, category: str | None = None, dataset: str | None = None, **overrides: Any
    ) -> ReContrastConfig:
        """The configuration of ``preset`` at this study's scale (first story seed unless ``seed=`` is given)."""
        base = dict(backbone=self.backbone, seed=self.seed, device=self.device)
        return profile_config(
            self.profile, preset, dataset or self.dataset, category or self.category, **{**base, **overrides}
        )

    def spec(
        self,
        preset: str | ReContrastConfig,
        *,
        category: str | tuple[str, ...] | None = None,
        dataset: str | None = None,
        data_root: Path | None = None,
        **overrides: Any,
    ) -> RunSpec:
        """What the run of ``preset`` (a name, or a whole configuration) on ``category`` trains on. Several
        categories train one model for all of them."""
        dataset = dataset or self.dataset
        category = category or self.category
        first = category if isinstance(category, str) else category[0]
        config = (
            preset
            if isinstance(preset, ReContrastConfig)
            else self.config(preset, category=first, dataset=dataset, **overrides)
        )
        return RunSpec(config, dataset, Path(data_root) if data_root is not None else self.data_root, category)

    def run(self, preset: str | ReContrastConfig, **options: Any) -> Run:
        """The cached run of :meth:`spec`, trained now if it is not cached yet."""
        return cached_run(self.spec(preset, **options), self.results, recompute=self.recompute, progress=self.progress)

    def runs(
        self, preset: str, *, seeds: tuple[int, ...] | None = None, category: str | None = None, **overrides: Any
    ) -> list[Run]:
        """The runs of ``preset`` for ``seeds`` (default: the story seeds), cached; trained if missing."""
        return [self.run(preset, category=category, seed=s, **overrides) for s in seeds or self.story_seeds]

    def test_set(self, category: str | None = None) -> ImageDataset:
        """The test set of ``category`` (default: the story's) at this study's input size."""
        return open_split(self.spec("ReContrast", category=category), "test")

    def train_set(self, category: str | None = None) -> ImageDataset:
        """The training set of ``category`` (default: the story's) at this study's input size."""
        return open_split(self.spec("ReContrast", category=category), "train")

    def data_present(self, dataset: str) -> Path | None:
        """The folder of ``dataset`` if it is there (``<data_dir>/<dataset>``), else None."""
        root = self.data_dir / dataset
        return root if root.is_dir() and any(root.iterdir()) else None
