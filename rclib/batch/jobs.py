"""The grid's jobs: the runs a request needs (tables, claims, or presets on data sets), each one cached run keyed
as the notebooks key it, so that finished jobs land where the notebooks and tables read. What runs a table or a
claim needs is declared once, in the analysis plan (:mod:`rclib.paper.plan`).

    rclib grid --profile paper --tables table6 --dry-run          # the jobs and what they cost
    rclib grid --profile demo --claims C3 C6                      # the runs of two claims, over the plan's seeds
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import PRESETS, ReContrastConfig
from ..data import DATASETS, DataError
from ..paper.plan import CLAIMS, TABLES, TableRuns, seed_plan
from ..paper.profiles import Profile, default_data_root, profile_config, unified_config
from ..runs import RunSpec, run_folder
from ..runs.cost import step_flops


@dataclass(frozen=True)
class GridRequest:
    """What to run: the runs ``tables`` and ``claims`` need, or ``presets`` (default ReContrast) on ``datasets``;
    ``categories`` and ``seeds`` narrow or replace the defaults; ``overrides`` changes configuration fields of
    every job (other runs than the notebooks', then)."""

    tables: tuple[str, ...] = ()
    claims: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    presets: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    seeds: tuple[int, ...] = ()
    data_dir: Path = Path("data")
    results_root: Path = Path("results")
    checkpoint_every: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GridJob:
    """One run of the grid, the tables or claims that need it, and its cache folder (None while its data is
    missing: the folder's key needs the data's fingerprint)."""

    needed_by: tuple[str, ...]
    preset: str
    spec: RunSpec
    results: Path
    folder: Path | None = field(default=None, compare=False)

    @property
    def seed(self) -> int:
        return self.spec.config.seed

    @property
    def label(self) -> str:
        return f"{self.preset} {self.spec.dataset}/{self.spec.label} seed {self.seed}"


def _claim_requests(profile: Profile, claims: Sequence[str]) -> list[tuple[str, TableRuns]]:
    """The runs each claim is judged over: its presets (and variants) on the story's or every category, over the
    plan's seeds for that claim."""
    unknown = sorted(set(claims) - set(CLAIMS))
    if unknown:
        raise ValueError(f"unknown claim(s) {unknown}; valid: {', '.join(CLAIMS)}")
    plan = seed_plan(profile.name)
    out = []
    for name in claims:
        claim = CLAIMS[name]
        variants = tuple(tuple(o.items()) for p, o in claim.variants) or ((),)
        presets = tuple(p for p in claim.presets if not claim.variants or p not in {v for v, _ in claim.variants})
        seeds = plan.claim_seeds(name)
        if presets:
            out.append((name, TableRuns(profile.dataset, presets=presets, seeds=seeds)))
        if claim.variants:
            variant_presets = tuple(dict.fromkeys(p for p, _ in claim.variants))
            out.append((name, TableRuns(profile.dataset, presets=variant_presets, seeds=seeds, variants=variants)))
    return out


def _requests(profile: Profile, request: GridRequest) -> list[tuple[str, TableRuns]]:
    unknown = sorted(set(request.tables) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; valid: {', '.join(TABLES)}")
    for name in request.presets:
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    found = [(t, r) for t in request.tables for r in TABLES[t]] + _claim_requests(profile, request.claims)
    found += [("", TableRuns(d, presets=request.presets or ("ReContrast",))) for d in request.datasets]
    if not found:
        raise ValueError("nothing asked for: name --tables, --claims or --datasets")
    return found


def _story_categories(profile: Profile, name: str, dataset: str) -> tuple[str, ...]:
    claim = CLAIMS.get(name)
    everything = profile.categories if dataset == profile.dataset else DATASETS[dataset][1]
    return (profile.category,) if claim is not None and claim.categories == "story" else everything


def expand(profile: Profile, request: GridRequest) -> list[GridJob]:
    """The jobs of a request. Jobs are keyed by their cache folder, so a run two tables (or claims) share is one
    job. Configurations are the notebooks' own, so the notebooks find the results."""
    results = Path(request.results_root) / profile.name
    jobs: dict[tuple, GridJob] = {}
    for needer, runs in _requests(profile, request):
        if runs.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {runs.dataset!r}; valid datasets: {', '.join(DATASETS)}")
        root = default_data_root(profile, runs.dataset, request.data_dir)
        cats = tuple(request.categories) or _story_categories(profile, needer, runs.dataset)
        groups: list[str | tuple[str, ...]] = [cats] if runs.unified else list(cats)
        chosen = tuple(p for p in runs.presets if not request.presets or p in request.presets or needer == "")
        seeds = tuple(request.seeds) or runs.seeds or seed_plan(profile.name).story_seeds()
        for seed, preset, variant, category in product(seeds, chosen, runs.variants, groups):
            config = _config(profile, runs, preset, category, seed=seed, variant={**dict(variant), **request.overrides})
            if request.checkpoint_every:
                config = config.replace(checkpoint_every=request.checkpoint_every)
            job = GridJob((needer,) if needer else (), preset, RunSpec(config, runs.dataset, root, category), results)
            key = repr((config.result_fields(), runs.dataset, category))
            if key in jobs:  # another table needs the same run
                job = replace(jobs[key], needed_by=tuple(dict.fromkeys(jobs[key].needed_by + job.needed_by)))
            jobs[key] = job
    return [_with_folder(j) for j in jobs.values()]


def _config(profile: Profile, runs: TableRuns, preset: str, category, *, seed: int, variant: dict) -> ReContrastConfig:
    """The configuration a notebook's study builds for the same run (see :meth:`rclib.paper.study.Study.config`)."""
    if runs.unified:
        return unified_config(profile, runs.dataset, category, seed, backbone=profile.backbone, **variant)
    return profile_config(profile, preset, runs.dataset, category, backbone=profile.backbone, seed=seed, **variant)


def _with_folder(job: GridJob) -> GridJob:
    """The job with its data fingerprinted (once, handed on to the run) and its cache folder, when the data is
    there."""
    try:
        spec = job.spec.fingerprinted()
    except DataError:
        return job
    return replace(job, spec=spec, folder=run_folder(job.results, spec))


def estimate(jobs: Iterable[GridJob], tflops: float, status: dict[GridJob, str]) -> pd.DataFrame:
    """One row per job: its status, training FLOPs (counted, :func:`rclib.runs.cost.step_flops`) and the GPU
    hours they take at ``tflops`` sustained TFLOP/s."""
    per_step: dict[str, int] = {}
    rows = []
    for job in jobs:
        config = job.spec.config
        shape = repr({k: v for k, v in config.result_fields().items() if k not in ("seed", "alpha_end")})
        if shape not in per_step:
            per_step[shape] = step_flops(config)
        flops = per_step[shape] * config.iterations
        rows.append(
            {
                **describe_job(job),
                "status": status[job],
                "iterations": config.iterations,
                "PFLOP": flops / 1e15,
                "gpu_hours": flops / (tflops * 1e12) / 3600,
            }
        )
    return pd.DataFrame(rows)


def describe_job(job: GridJob) -> dict[str, Any]:
    return {
        "tables": " ".join(job.needed_by) or "-",
        "preset": job.preset,
        "dataset": job.spec.dataset,
        "category": job.spec.label,
        "seed": job.seed,
    }
