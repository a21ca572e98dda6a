"""Where the grid's jobs stand: ``done`` (finished in the cache), ``running``, ``failed``, ``missing`` or
``no data``, read from the cache, the run locks, the submissions log and Slurm; and the finished runs' metrics,
merged over seeds (read from their records, no network built)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import submitit
from submitit.core.utils import JobPaths

from ..runs.lock import SLURM_ALIVE, lock_owner
from ..runs.run import is_finished, read_record
from .jobs import GridJob, describe_job

SUBMITTED = "submitted.csv"
STATES = ("done", "running", "failed", "missing", "no data")


def submissions(results: Path) -> pd.DataFrame:
    """Every submission of the grid under ``results``: run folder, job id, executor, log folder, time."""
    path = results / "grid" / SUBMITTED
    columns = ["folder", "job_id", "executor", "logs", "time"]
    return pd.read_csv(path, dtype={"job_id": str}) if path.exists() else pd.DataFrame(columns=columns)


def slurm_state(job_id: str, logs: str) -> str:
    return submitit.SlurmJob(folder=logs, job_id=str(job_id)).state


def status_of(job: GridJob, records: pd.DataFrame) -> str:
    """``done`` (finished in the cache), ``running`` (a live process writes it, or Slurm says it is queued or
    running), ``failed`` (submitted, ended, not finished), ``missing`` (never submitted) or ``no data``."""
    if job.folder is None:
        return "no data"
    if is_finished(job.folder):
        return "done"
    if lock_owner(job.folder) is not None:
        return "running"
    mine = records[records.folder == str(job.folder)]
    if mine.empty:
        return "missing"
    last = mine.iloc[-1]
    if last.executor == "slurm" and slurm_state(last.job_id, last.logs) in SLURM_ALIVE:
        return "running"
    return "failed"


def statuses(jobs: Sequence[GridJob]) -> dict[GridJob, str]:
    """The status of every job (one read of the submissions log)."""
    records = submissions(jobs[0].results) if jobs else pd.DataFrame()
    return {job: status_of(job, records) for job in jobs}


def status_table(jobs: Sequence[GridJob], status: dict[GridJob, str]) -> pd.DataFrame:
    """Per table or claim: how many of its runs are done, running, failed, missing (or lack their data)."""
    rows = [{"table": t, "status": status[j]} for j in jobs for t in (j.needed_by or ("(asked directly)",))]
    counts = pd.crosstab(pd.DataFrame(rows)["table"], pd.DataFrame(rows)["status"]) if rows else pd.DataFrame()
    for column in STATES:
        if column not in counts:
            counts[column] = 0
    return counts[list(STATES)]


def failures(jobs: Sequence[GridJob], status: dict[GridJob, str]) -> list[str]:
    """One line per failed job: what it was and where its log is."""
    records = submissions(jobs[0].results) if jobs else pd.DataFrame()
    lines = []
    for job in jobs:
        if status[job] == "failed":
            last = records[records.folder == str(job.folder)].iloc[-1]
            lines.append(f"{job.label}: failed; log {JobPaths(last.logs, str(last.job_id), 0).stderr}")
    return lines


def collect(jobs: Sequence[GridJob]) -> pd.DataFrame:
    """Every finished job's last metrics, and per (table, preset, data set, category, variant) the mean and
    standard deviation over its seeds."""
    rows = []
    for job in jobs:
        if job.folder is None or not is_finished(job.folder):
            continue
        record = read_record(job.folder)
        config = job.spec.config
        alpha = job.preset == "ReContrast" and ("tableA4" in job.needed_by or "C7" in job.needed_by)
        variant = f"alpha={config.alpha_end:g}" if alpha else ""
        base = {k: v for k, v in describe_job(job).items() if k != "seed"}
        rows.append({**base, "variant": variant, "seed": job.seed, **record["last"]})
    if not rows:
        return pd.DataFrame()
    runs = pd.DataFrame(rows)
    keys = ["tables", "preset", "dataset", "category", "variant"]
    metrics = [m for m in ("I-AUROC", "P-AUROC", "AUPRO", "F1", "ACC") if m in runs]
    merged = runs.groupby(keys, sort=False)[metrics].agg(["mean", "std", "count"])
    merged.columns = [f"{m} {stat}" for m, stat in merged.columns]
    return merged.reset_index()
