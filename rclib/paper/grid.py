"""The paper's full grid as data, run through submitit: a Slurm job array on a cluster, local processes on one
machine. Every job is one cached run (:func:`rclib.runs.cache.cached_run`), so finished jobs land where the
notebooks and tables read, a rerun submits only what is missing, and a killed or preempted job resumes from
its last checkpoint.

    rclib grid --profile paper --tables table6 --dry-run          # the jobs and what they cost
    rclib grid --profile paper --tables table6 --executor slurm --partition gpu --gpus-per-job 1
    rclib grid --profile paper --tables table6 --status           # done / running / failed / missing per table
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Any

import pandas as pd
import submitit
from submitit.core.utils import JobPaths

from ..config import PRESETS, ReContrastConfig
from ..data import DATASETS, DataError
from ..runs.cache import cached_run, run_folder
from ..runs.cost import step_flops
from ..runs.lock import lock_owner
from ..runs.run import is_finished, load_run
from .profiles import Profile, default_data_root, profile_config, unified_config

PAPER_SEEDS = (1, 11, 111)  # Table A2's seeds


@dataclass(frozen=True)
class TableRuns:
    """The runs a table needs: ``presets`` on every category of ``dataset`` (one model for all of them when
    ``unified``), for ``seeds`` (empty: the profile's), with configuration ``variants`` (empty: the preset as is)."""

    dataset: str
    presets: tuple[str, ...] = ("ReContrast",)
    seeds: tuple[int, ...] = ()
    unified: bool = False
    variants: tuple[tuple[tuple[str, Any], ...], ...] = ((),)


TABLES: dict[str, tuple[TableRuns, ...]] = {
    "table1": (TableRuns("mvtec_ad"),),
    "table2": (TableRuns("mvtec_ad"),),
    "tableA2": (TableRuns("mvtec_ad", seeds=PAPER_SEEDS),),
    "table3": (TableRuns("visa"),),
    "tableA3": (TableRuns("visa"),),
    "table4": (TableRuns("mvtec_ad", unified=True), TableRuns("visa", unified=True)),
    "table5": (TableRuns("aptos"), TableRuns("oct2017"), TableRuns("isic2018")),
    "table6": (TableRuns("mvtec_ad", presets=tuple(PRESETS)),),
    "tableA4": (
        TableRuns("mvtec_ad", presets=("E",)),
        TableRuns("mvtec_ad", variants=tuple((("alpha_end", a),) for a in (-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0))),
    ),
    "tableA7": (TableRuns("mvtec_loco"),),
}


@dataclass(frozen=True)
class GridJob:
    """One run of the grid: a full configuration on one category (or several, unified) of one data set."""

    tables: tuple[str, ...]
    preset: str
    dataset: str
    category: str | tuple[str, ...]
    seed: int
    config: ReContrastConfig
    data_root: Path
    results: Path
    folder: Path | None = field(default=None, compare=False)  # the cache folder; None while the data is missing

    @property
    def label(self) -> str:
        category = self.category if isinstance(self.category, str) else "+".join(self.category)
        return f"{self.preset} {self.dataset}/{category} seed {self.seed}"


def expand(
    profile: Profile,
    tables: Sequence[str] = (),
    datasets: Sequence[str] = (),
    presets: Sequence[str] = (),
    categories: Sequence[str] = (),
    seeds: Sequence[int] = (),
    data_dir: str | Path = "data",
    results_root: str | Path = "results",
    checkpoint_every: int = 0,
    overrides: dict[str, Any] | None = None,
) -> list[GridJob]:
    """The jobs of a request: the runs ``tables`` need, or ``presets`` (default ReContrast) on ``datasets``;
    ``categories`` and ``seeds`` narrow or replace the defaults. Jobs are keyed by their cache folder, so a run
    two tables share is one job. Configurations are the notebooks' own, so the notebooks find the results;
    ``overrides`` changes configuration fields of every job (other runs than the notebooks', then)."""
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; valid: {', '.join(TABLES)}")
    for name in presets:
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    requests = [(t, r) for t in tables for r in TABLES[t]]
    requests += [("", TableRuns(d, presets=tuple(presets) or ("ReContrast",))) for d in datasets]
    if not requests:
        raise ValueError("nothing asked for: name --tables or --datasets")
    data_dir, results = Path(data_dir), Path(results_root) / profile.name
    jobs: dict[tuple, GridJob] = {}
    for table, request in requests:
        if request.dataset not in DATASETS:
            raise ValueError(f"unknown dataset {request.dataset!r}; valid datasets: {', '.join(DATASETS)}")
        root = default_data_root(profile, request.dataset, data_dir)
        cats = tuple(categories) or (
            profile.categories if request.dataset == profile.dataset else DATASETS[request.dataset][1]
        )
        groups: list[str | tuple[str, ...]] = [cats] if request.unified else list(cats)
        chosen = tuple(p for p in request.presets if not presets or p in presets or table == "")
        for seed, preset, variant, category in product(
            tuple(seeds) or request.seeds or profile.seeds, chosen, request.variants, groups
        ):
            config = _config(profile, request, preset, category, seed, {**dict(variant), **(overrides or {})})
            config = config.replace(checkpoint_every=checkpoint_every) if checkpoint_every else config
            job = GridJob((table,) if table else (), preset, request.dataset, category, seed, config, root, results)
            key = repr((config.result_fields(), request.dataset, category))
            if key in jobs:  # another table needs the same run
                job = replace(jobs[key], tables=tuple(dict.fromkeys(jobs[key].tables + job.tables)))
            jobs[key] = job
    return [replace(j, folder=_folder(j)) for j in jobs.values()]


def _config(profile: Profile, request: TableRuns, preset: str, category, seed: int, variant: dict) -> ReContrastConfig:
    """The configuration a notebook's context builds for the same run (see :meth:`Context.config`)."""
    if request.unified:
        return unified_config(profile, request.dataset, category, seed, backbone=profile.backbone, **variant)
    return profile_config(profile, preset, request.dataset, category, backbone=profile.backbone, seed=seed, **variant)


def _folder(job: GridJob) -> Path | None:
    """The job's cache folder, or None while its data is missing (its key needs the data's fingerprint)."""
    try:
        return run_folder(job.results, job.config, job.dataset, job.data_root, job.category)
    except DataError:
        return None


# --- cost ----------------------------------------------------------------------------------------------------
def estimate(jobs: Iterable[GridJob], tflops: float) -> pd.DataFrame:
    """One row per job: its status, training FLOPs (counted, :func:`rclib.runs.cost.step_flops`) and the GPU
    hours they take at ``tflops`` sustained TFLOP/s."""
    per_step: dict[str, int] = {}
    rows = []
    for job in jobs:
        shape = repr({k: v for k, v in job.config.result_fields().items() if k not in ("seed", "alpha_end")})
        if shape not in per_step:
            per_step[shape] = step_flops(job.config)
        flops = per_step[shape] * job.config.iterations
        rows.append(
            {
                **describe_job(job),
                "iterations": job.config.iterations,
                "PFLOP": flops / 1e15,
                "gpu_hours": flops / (tflops * 1e12) / 3600,
            }
        )
    return pd.DataFrame(rows)


def describe_job(job: GridJob) -> dict[str, Any]:
    category = job.category if isinstance(job.category, str) else "+".join(job.category)
    return {
        "tables": " ".join(job.tables) or "-",
        "preset": job.preset,
        "dataset": job.dataset,
        "category": category,
        "seed": job.seed,
        "status": status_of(job),
    }


# --- status --------------------------------------------------------------------------------------------------
SUBMITTED = "submitted.csv"


def _records(results: Path) -> pd.DataFrame:
    path = results / "grid" / SUBMITTED
    return (
        pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["folder", "job_id", "executor", "logs", "time"])
    )


def status_of(job: GridJob, records: pd.DataFrame | None = None) -> str:
    """``done`` (finished in the cache), ``running`` (a live process writes it, or Slurm says it is queued or
    running), ``failed`` (submitted, ended, not finished), ``missing`` (never submitted) or ``no data``."""
    if job.folder is None:
        return "no data"
    if is_finished(job.folder):
        return "done"
    if lock_owner(job.folder) is not None:
        return "running"
    records = _records(job.results) if records is None else records
    mine = records[records.folder == str(job.folder)]
    if mine.empty:
        return "missing"
    last = mine.iloc[-1]
    if last.executor == "slurm" and _slurm_state(last) in (
        "PENDING",
        "RUNNING",
        "REQUEUED",
        "CONFIGURING",
        "COMPLETING",
    ):
        return "running"
    return "failed"


def _slurm_state(record: pd.Series) -> str:
    return submitit.SlurmJob(folder=record.logs, job_id=str(record.job_id)).state


def status_table(jobs: Sequence[GridJob]) -> pd.DataFrame:
    """Per table: how many of its runs are done, running, failed, missing (or lack their data)."""
    records = _records(jobs[0].results) if jobs else None
    rows = []
    for job in jobs:
        state = status_of(job, records)
        for table in job.tables or ("(asked directly)",):
            rows.append({"table": table, "status": state})
    counts = pd.crosstab(pd.DataFrame(rows)["table"], pd.DataFrame(rows)["status"]) if rows else pd.DataFrame()
    for column in ("done", "running", "failed", "missing", "no data"):
        if column not in counts:
            counts[column] = 0
    return counts[["done", "running", "failed", "missing", "no data"]]


def failures(jobs: Sequence[GridJob]) -> list[str]:
    """One line per failed job: what it was and where its log is."""
    records = _records(jobs[0].results) if jobs else None
    lines = []
    for job in jobs:
        if status_of(job, records) == "failed":
            last = records[records.folder == str(job.folder)].iloc[-1]
            lines.append(f"{job.label}: failed; log {JobPaths(last.logs, str(last.job_id), 0).stderr}")
    return lines


# --- running -------------------------------------------------------------------------------------------------
class TrainJob:
    """What one submitit job runs: the cached run of a grid job (resumed from its checkpoint when there is
    one). On a timeout or preemption submitit calls :meth:`checkpoint`, which requeues the same job."""

    def __call__(self, job: GridJob) -> dict[str, Any]:
        run = cached_run(job.config, job.dataset, job.data_root, job.category, job.results, progress=False)
        return run.metrics["last"]

    def checkpoint(self, job: GridJob) -> submitit.helpers.DelayedSubmission:
        return submitit.helpers.DelayedSubmission(TrainJob(), job)


@dataclass
class Executor:
    """Where the jobs run: ``slurm`` (a job array) or ``local`` (this machine, one job per GPU at a time)."""

    kind: str = "local"
    partition: str | None = None
    gpus_per_job: int = 0
    time_min: int = 24 * 60
    array_parallelism: int = 64
    account: str | None = None
    cpus_per_job: int | None = None

    def make(self, logs: Path) -> submitit.AutoExecutor:
        if self.kind not in ("slurm", "local"):
            raise ValueError(f"executor {self.kind!r}: expected 'slurm' or 'local'")
        executor = submitit.AutoExecutor(folder=logs, cluster=self.kind)
        params: dict[str, Any] = {"timeout_min": self.time_min, "gpus_per_node": self.gpus_per_job, "name": "rclib"}
        if self.cpus_per_job:
            params["cpus_per_task"] = self.cpus_per_job
        if self.kind == "slurm":
            params["slurm_array_parallelism"] = self.array_parallelism
            if self.partition:
                params["slurm_partition"] = self.partition
            if self.account:
                params["slurm_account"] = self.account
        executor.update_parameters(**params)
        return executor


def local_slots() -> int:
    """Jobs at a time on this machine: one per GPU when there are several, otherwise one."""
    import torch

    return max(torch.cuda.device_count(), 1) if torch.cuda.is_available() else 1


def submit(jobs: Sequence[GridJob], executor: Executor, wait: bool | None = None) -> list:
    """Submit the jobs that are neither done nor running (a Slurm job array, or waves of local jobs). Local
    jobs are waited for; Slurm jobs only when ``wait``. Returns the submitit jobs."""
    todo = [j for j in jobs if status_of(j) in ("missing", "failed")]
    if not todo:
        return []
    results = todo[0].results
    logs = results / "grid" / "logs"
    runner = executor.make(logs)
    submitted = []
    slots = len(todo) if executor.kind == "slurm" else local_slots()
    for start in range(0, len(todo), slots):
        wave = todo[start : start + slots]
        with runner.batch():
            handles = [runner.submit(TrainJob(), job) for job in wave]
        _record(results, wave, handles, executor.kind, logs)
        submitted += handles
        if executor.kind == "local" or wait:
            _wait(handles, wave)
    return submitted


def _record(results: Path, jobs: Sequence[GridJob], handles: Sequence, kind: str, logs: Path) -> None:
    path = results / "grid" / SUBMITTED
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    rows = pd.DataFrame(
        [
            {"folder": str(j.folder), "job_id": h.job_id, "executor": kind, "logs": str(logs), "time": now}
            for j, h in zip(jobs, handles, strict=True)
        ]
    )
    rows.to_csv(path, mode="a", header=not path.exists(), index=False)


def _wait(handles: Sequence, jobs: Sequence[GridJob]) -> None:
    """Wait for every job; a failure is reported with its log and the others go on."""
    for handle, job in zip(handles, jobs, strict=True):
        try:
            handle.result()
        except Exception as err:  # noqa: BLE001 - one job's failure must not stop the grid
            print(f"{job.label}: failed ({type(err).__name__}); log {handle.paths.stderr}")


# --- merged results ------------------------------------------------------------------------------------------
def collect(jobs: Sequence[GridJob]) -> pd.DataFrame:
    """Every finished job's last metrics, and per (table, preset, data set, category, variant) the mean and
    standard deviation over its seeds."""
    rows = []
    for job in jobs:
        if job.folder is None or not is_finished(job.folder):
            continue
        run = load_run(job.folder, "cpu")
        variant = f"alpha={job.config.alpha_end:g}" if job.preset == "ReContrast" and "tableA4" in job.tables else ""
        base = {k: v for k, v in describe_job(job).items() if k not in ("status", "seed")}
        rows.append({**base, "variant": variant, "seed": job.seed, **run.metrics["last"]})
    if not rows:
        return pd.DataFrame()
    runs = pd.DataFrame(rows)
    keys = ["tables", "preset", "dataset", "category", "variant"]
    metrics = [m for m in ("I-AUROC", "P-AUROC", "AUPRO", "F1", "ACC") if m in runs]
    merged = runs.groupby(keys, sort=False)[metrics].agg(["mean", "std", "count"])
    merged.columns = [f"{m} {stat}" for m, stat in merged.columns]
    return merged.reset_index()
