"""What a notebook needs before its story starts: its parameters checked, the profile resolved, the data found.

A notebook's papermill ``parameters`` cell holds ``profile`` and the few values a reader may change; papermill
may inject any of :class:`NotebookParameters`. ``ctx = setup(globals())`` picks them out of the notebook's
namespace, checks their types (a wrong type names the parameter instead of failing deep inside a run) and
returns a :class:`Context` whose helpers keep the notebook's cells short.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..config import ReContrastConfig
from ..data import DATASETS, open_dataset
from ..runs.cache import cached_run
from ..runs.run import Run
from ..scoring.anomaly_map import score
from . import plots, tables
from .profiles import Profile, default_data_root, get_profile, profile_config


def _param(default: Any, types: tuple[type, ...], doc: str) -> Any:
    kwargs = {"default_factory": lambda: default} if isinstance(default, list) else {"default": default}
    return field(metadata={"types": types, "doc": doc}, **kwargs)


@dataclass
class NotebookParameters:
    """Every parameter a notebook accepts (papermill ``-p NAME VALUE``), with its type and default."""

    profile: str = _param("", (str,), '"smoke", "demo" or "paper"; empty: $RCLIB_PROFILE, else "demo"')
    seeds: list = _param([], (list, tuple), "training seeds; empty: the profile's seeds for this notebook")
    seed: int | None = _param(None, (int, type(None)), "one seed instead of the profile's seeds")
    categories: list = _param([], (list, tuple), "categories; empty: the profile's (the first is the story's)")
    dataset: str = _param("", (str,), "data set; empty: the profile's")
    data_root: str = _param("", (str,), "folder of the data set; empty: <data_dir>/<dataset> (demo: written)")
    backbone: str = _param("", (str,), "encoder; empty: the profile's")
    device: str = _param("auto", (str,), '"auto" uses CUDA when present')
    progress: bool = _param(True, (bool,), "progress bars (the batch run passes False)")
    interactive: bool = _param(True, (bool,), "widgets besides the static figures (the batch run passes False)")
    recompute: bool = _param(False, (bool,), "retrain even when the run is cached")
    results_root: str = _param("../results", (str,), "cached runs, tables, claims: <results_root>/<profile>")
    figures_root: str = _param("../figures", (str,), "figures: <figures_root>/<profile>")
    data_dir: str = _param("../data", (str,), "where the paper's data sets live (<data_dir>/mvtec_ad, ...)")


PARAMETERS = {f.name: f for f in dataclasses.fields(NotebookParameters)}


class NotebookParameterError(TypeError):
    """A notebook parameter has the wrong type or value."""


def check_parameters(values: Mapping[str, Any]) -> NotebookParameters:
    """The parameters in ``values`` (other names are ignored), type-checked, over the defaults."""
    picked = {k: v for k, v in values.items() if k in PARAMETERS}
    for name, value in picked.items():
        types = PARAMETERS[name].metadata["types"]
        if not isinstance(value, types) or (int in types and bool not in types and isinstance(value, bool)):
            expected = " or ".join(t.__name__ for t in types if t is not type(None))
            raise NotebookParameterError(
                f"notebook parameter {name!r} must be {expected}, got {type(value).__name__} {value!r}"
            )
    for name in ("categories", "seeds"):
        item_type = str if name == "categories" else int
        if name in picked and not all(isinstance(v, item_type) and not isinstance(v, bool) for v in picked[name]):
            raise NotebookParameterError(
                f"notebook parameter {name!r} must be a list of {item_type.__name__}, got {picked[name]!r}"
            )
    return NotebookParameters(**picked)


@dataclass
class Context:
    """The resolved parameters of one notebook run, and helpers that keep notebook cells short."""

    profile: Profile
    dataset: str
    data_root: Path
    categories: tuple[str, ...]
    backbone: str
    seeds: tuple[int, ...]
    device: str
    progress: bool
    recompute: bool
    results: Path
    figures: Path
    data_dir: Path
    interactive: bool = True

    @classmethod
    def for_profile(
        cls, profile: Profile, data_root: Path, results: Path, data_dir: Path, notebook: str = ""
    ) -> Context:
        """A non-interactive context of ``profile`` as it stands (its data set, categories, backbone, and the seeds
        of ``notebook``) on the CPU, writing under ``results``: for scripts that measure claims outside the
        notebooks."""
        return cls(
            profile,
            profile.dataset,
            Path(data_root),
            tuple(profile.categories),
            profile.backbone,
            profile.seeds_for(notebook),
            "cpu",
            False,
            False,
            Path(results),
            Path(results) / "figures",
            Path(data_dir),
            False,
        )

    @property
    def category(self) -> str:
        """The category the story notebooks follow."""
        return self.categories[0]

    @property
    def seed(self) -> int:
        """The first seed: the one single-run cells (maps, landscapes) use."""
        return self.seeds[0]

    def config(
        self, preset: str, category: str | None = None, dataset: str | None = None, **overrides: Any
    ) -> ReContrastConfig:
        """The configuration of ``preset`` at this notebook's scale (first seed unless ``seed=`` is given)."""
        base = dict(backbone=self.backbone, seed=self.seed, device=self.device)
        return profile_config(
            self.profile, preset, dataset or self.dataset, category or self.category, **{**base, **overrides}
        )

    def run(
        self,
        preset: str | ReContrastConfig,
        category: str | Sequence[str] | None = None,
        dataset: str | None = None,
        data_root: str | Path | None = None,
        **overrides: Any,
    ) -> Run:
        """The cached run of ``preset`` (a name, or a whole configuration) on ``category`` of ``dataset``,
        trained now if it is not cached yet. Several categories train one model for all of them."""
        dataset = dataset or self.dataset
        category = category or self.category
        first = category if isinstance(category, str) else category[0]
        config = preset if isinstance(preset, ReContrastConfig) else self.config(preset, first, dataset, **overrides)
        root = Path(data_root) if data_root is not None else self.data_root
        return cached_run(
            config, dataset, root, category, self.results, recompute=self.recompute, progress=self.progress
        )

    def runs(self, preset: str, category: str | None = None, **overrides: Any) -> list[Run]:
        """The runs of ``preset`` for every seed of this notebook (cached; trained if missing)."""
        return [self.run(preset, category, seed=s, **overrides) for s in self.seeds]

    def alpha_values(self) -> tuple[float, ...]:
        """Table A4's alpha values trained besides -inf (Config E) and 1 (ReContrast) on this profile."""
        return (-2.0, -1.0, 0.0, 0.5, 1.5, 2.0) if self.profile.name == "paper" else (0.0, 1.5)

    def train_set(self, category: str | None = None, config: ReContrastConfig | None = None):
        c = config or self.config("ReContrast", category)
        return open_dataset(self.dataset, self.data_root, category or self.category, "train", c.image_size, c.crop_size)

    def test_set(self, category: str | None = None, config: ReContrastConfig | None = None):
        c = config or self.config("ReContrast", category)
        return open_dataset(
            self.dataset, self.data_root, category or self.category, "test", c.image_size, c.crop_size, c.mask_threshold
        )

    def gallery(self, runs: dict[str, Run], n: int, category: str | None = None):
        """Anomaly maps of each run on ``n`` test images: a third of them normal, the rest defective, one defect
        type after another; every map on one colour scale."""
        test = self.test_set(category)
        labels = test.labels
        normal = [i for i in range(len(test)) if not labels[i]]
        by_type: dict[str, list[int]] = {}
        for i in (i for i in range(len(test)) if labels[i]):
            by_type.setdefault(Path(test.items[i][0]).parent.name, []).append(i)
        defective = [idx for group in zip(*by_type.values(), strict=False) for idx in group]
        n_normal = max(1, n // 3)
        samples = [test[i] for i in normal[:n_normal] + defective[: n - n_normal]]
        images = torch.stack([s.image for s in samples])
        maps = {name: score(r.model, images)[0].cpu().numpy() for name, r in runs.items()}
        titles = [Path(s.path).parent.name for s in samples]
        return plots.plot_anomaly_gallery([s.image for s in samples], [s.mask for s in samples], maps, titles)

    def save_figure(self, fig, name: str) -> None:
        """Save ``fig`` as ``<figures>/<name>.png`` and ``.pdf`` (the notebook shows it as usual)."""
        plots.savefig(fig, name, self.figures)

    def save_table(self, table: pd.DataFrame | str, name: str) -> None:
        """Save ``table`` (or a "not run" line) as ``<results>/tables/<name>.csv`` and ``.md``."""
        tables.save_table(table, name, self.results / "tables")

    def data_present(self, dataset: str) -> Path | None:
        """The folder of ``dataset`` if it is there (``<data_dir>/<dataset>``), else None."""
        root = self.data_dir / dataset
        return root if root.is_dir() and any(root.iterdir()) else None


RUN_TIMES = Path("../benchmarks/results/notebook_times.csv")  # measured by benchmarks/bench_reproduce.py --record


def run_times(notebook: str, path: Path = RUN_TIMES) -> str:
    """One line with the measured run time of ``notebook`` (its number, e.g. "03") at each profile, when the
    repository's measurements are at hand (a notebook runs from ``notebooks/``)."""
    if not path.exists():
        return ""
    times = pd.read_csv(path)
    row = times[times.notebook.str.startswith(notebook)]
    if row.empty:
        return ""
    r = row.iloc[0]
    parts = [
        f"{col.removesuffix('_s')} {r[col] / 60:.1f} min"
        for col in times.columns
        if col.endswith("_s") and pd.notna(r[col])
    ]
    measured = ", ".join(parts)
    return f"run time of this notebook, measured on {r.machine}: {measured} (cold; cached runs make reruns faster)"


def setup(namespace: Mapping[str, Any] | None = None, notebook: str = "", **parameters: Any) -> Context:
    """Resolve a notebook's parameters: ``setup(globals(), "03")`` in notebook 03 (the parameters cell and
    whatever papermill injected), or keyword arguments. Prints the profile's note, where the data is, and the
    notebook's measured run time."""
    p = check_parameters({**(namespace or {}), **parameters})
    prof = get_profile(p.profile or None)
    dataset = p.dataset or prof.dataset
    if dataset not in DATASETS:
        raise NotebookParameterError(
            f"notebook parameter 'dataset'={dataset!r}: valid datasets are {', '.join(DATASETS)}"
        )
    root = Path(p.data_root) if p.data_root else default_data_root(prof, dataset, p.data_dir)
    cats = tuple(p.categories) or (prof.categories if dataset == prof.dataset else DATASETS[dataset][1])
    seeds = tuple(p.seeds) or ((p.seed,) if p.seed is not None else prof.seeds_for(notebook))
    plots.apply_style()
    ctx = Context(
        prof,
        dataset,
        root,
        cats,
        p.backbone or prof.backbone,
        seeds,
        p.device,
        p.progress,
        p.recompute,
        Path(p.results_root) / prof.name,
        Path(p.figures_root) / prof.name,
        Path(p.data_dir),
        p.interactive,
    )
    print(prof.note)
    if prof.iterations is not None:
        c = ctx.config("ReContrast")
        print(
            f"settings: {c.image_size} px, batch {c.batch_size}, {c.iterations} iterations (paper: 2,000 on MVTec AD), "
            f"encoder learning rate {c.encoder_lr:g} (paper: 1e-5), encoder BatchNorm in "
            f"{'train' if c.encoder_bn_train else 'eval'} mode, evaluation every {c.eval_every} iterations"
        )
    if notebook and (times := run_times(notebook)):
        print(times)
    print(f"data: {dataset} at {root}; categories: {', '.join(cats)}; backbone: {ctx.backbone}; seeds: {seeds}")
    return ctx
