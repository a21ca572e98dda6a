"""What a notebook needs before its story starts: its parameters checked, the profile resolved, the data found.

A notebook's papermill ``parameters`` cell holds ``profile`` and the few values a reader may change; papermill
may inject any of :class:`NotebookParameters`. ``ctx = setup(globals())`` picks them out of the notebook's
namespace, checks their types (a wrong type names the parameter instead of failing deep inside a run) and
returns a :class:`Context` whose helpers keep the notebook's cells short.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..data import DATASETS
from ..paper import figures
from ..paper.plan import plan_signature
from ..paper.profiles import default_data_root, get_profile
from ..paper.results import precomputed
from ..paper.study import Study


def _param(default: Any, types: tuple[type, ...], doc: str) -> Any:
    kwargs = {"default_factory": lambda: default} if isinstance(default, list) else {"default": default}
    return field(metadata={"types": types, "doc": doc}, **kwargs)


@dataclass
class NotebookParameters:
    """Every parameter a notebook accepts (papermill ``-p NAME VALUE``), with its type and default."""

    profile: str = _param("", (str,), '"smoke", "demo" or "paper"; empty: $RCLIB_PROFILE, else "demo"')
    seeds: list = _param([], (list, tuple), "training seeds of every run and claim; empty: the analysis plan's")
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


@dataclass(frozen=True, kw_only=True)
class Context(Study):
    """A notebook's study (its runs, data and seeds, see :class:`rclib.paper.study.Study`) and where the notebook
    writes: figures under ``figures``, tables under ``tables``; ``interactive`` says whether widgets are drawn."""

    figures: Path
    interactive: bool = True

    @property
    def tables(self) -> Path:
        return self.results / "tables"


def run_times(notebook: str) -> str:
    """One line with the measured run time of ``notebook`` (its name, e.g. "03_config_C_training_the_encoder") at
    each profile, from the measurements shipped with the package."""
    times = precomputed("notebook_times")
    row = times[times.notebook.str.removesuffix(".ipynb") == notebook.removesuffix(".ipynb")]
    if row.empty:
        return ""
    r = row.iloc[0]
    parts = [
        f"{col.removesuffix('_s')} {r[col] / 60:.1f} min"
        for col in times.columns
        if col.endswith("_s") and pd.notna(r[col])
    ]
    stale = "plan" not in times or r["plan"] != plan_signature()
    return (
        f"run time of this notebook, measured on {r.machine}: {', '.join(parts)} (cold; cached runs make reruns faster)"
        + (
            "; timed under an earlier analysis plan (other seeds or test sets): today's cold run differs"
            if stale
            else ""
        )
    )


def setup(namespace: Mapping[str, Any] | None = None, notebook: str = "", **parameters: Any) -> Context:
    """Resolve a notebook's parameters: ``setup(globals(), "03_config_C_training_the_encoder")`` (the parameters
    cell and whatever papermill injected), or keyword arguments. Prints the profile's note, where the data is,
    the seeds, and the notebook's measured run time."""
    p = check_parameters({**(namespace or {}), **parameters})
    prof = get_profile(p.profile or None)
    dataset = p.dataset or prof.dataset
    if dataset not in DATASETS:
        raise NotebookParameterError(
            f"notebook parameter 'dataset'={dataset!r}: valid datasets are {', '.join(DATASETS)}"
        )
    root = Path(p.data_root) if p.data_root else default_data_root(prof, dataset, p.data_dir)
    cats = tuple(p.categories) or (prof.categories if dataset == prof.dataset else DATASETS[dataset][1])
    seeds = tuple(p.seeds) or ((p.seed,) if p.seed is not None else ())
    figures.apply_style()
    ctx = Context(
        profile=prof,
        dataset=dataset,
        data_root=root,
        categories=cats,
        backbone=p.backbone or prof.backbone,
        results=Path(p.results_root) / prof.name,
        data_dir=Path(p.data_dir),
        device=p.device,
        recompute=p.recompute,
        progress=p.progress,
        seeds=seeds,
        figures=Path(p.figures_root) / prof.name,
        interactive=p.interactive,
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
    chosen = f"seeds {seeds} (given)" if seeds else f"story seeds {ctx.story_seeds}; each claim has its plan's seeds"
    print(f"data: {dataset} at {root}; categories: {', '.join(cats)}; backbone: {ctx.backbone}; {chosen}")
    return ctx
