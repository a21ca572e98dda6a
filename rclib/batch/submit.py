"""Running the grid's jobs through submitit: a Slurm job array on a cluster, or this machine's processes (one
job per GPU at a time). Every job is one cached run (:func:`rclib.runs.cached_run`), so a rerun submits only
what is missing or failed, and a killed or preempted job resumes from its last checkpoint.

    rclib grid --profile paper --tables table6 --executor slurm --partition gpu --gpus-per-job 1
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import submitit

from ..runs import cached_run
from .jobs import GridJob
from .status import SUBMITTED, statuses


class TrainJob:
    """What one submitit job runs: the cached run of a grid job (resumed from its checkpoint when there is
    one). On a timeout or preemption submitit calls :meth:`checkpoint`, which requeues the same job."""

    def __call__(self, job: GridJob) -> dict[str, Any]:
        return cached_run(job.spec, job.results, progress=False).metrics["last"]

    def checkpoint(self, job: GridJob) -> submitit.helpers.DelayedSubmission:
        return submitit.helpers.DelayedSubmission(TrainJob(), job)


@dataclass(frozen=True, kw_only=True)
class Executor:
    """Where the jobs run: ``slurm`` (a job array) or ``local`` (this machine, one job per GPU at a time)."""

    kind: str = "local"
    partition: str | None = None
    gpus_per_job: int = 0
    time_min: int = 24 * 60
    signal_delay_s: int = 90  # Slurm: seconds before the time limit that submitit is signalled to checkpoint
    max_timeouts: int = 3  # Slurm: requeues after a time limit before a job counts as failed
    array_parallelism: int = 64
    account: str | None = None
    cpus_per_job: int | None = None

    def make(self, logs: Path) -> submitit.AutoExecutor:
        if self.kind not in ("slurm", "local"):
            raise ValueError(f"executor {self.kind!r}: expected 'slurm' or 'local'")
        executor = submitit.AutoExecutor(folder=logs, cluster=self.kind, slurm_max_num_timeout=self.max_timeouts)
        params: dict[str, Any] = {"timeout_min": self.time_min, "gpus_per_node": self.gpus_per_job, "name": "rclib"}
        if self.cpus_per_job:
            params["cpus_per_task"] = self.cpus_per_job
        if self.kind == "slurm":
            params["slurm_array_parallelism"] = self.array_parallelism
            params["slurm_signal_delay_s"] = self.signal_delay_s
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


@dataclass(frozen=True)
class Submission:
    """What :func:`submit` did: the submitit jobs it submitted, and the grid jobs a wait saw fail (the status
    read from Slurm right after a job ends may still call it running)."""

    handles: list
    failed: list[GridJob]


def submit(jobs: Sequence[GridJob], executor: Executor, wait: bool | None = None) -> Submission:
    """Submit the jobs that are neither done nor running (a Slurm job array, or waves of local jobs). Local
    jobs are waited for; Slurm jobs only when ``wait``."""
    status = statuses(jobs)
    todo = [j for j in jobs if status[j] in ("missing", "failed")]
    if not todo:
        return Submission([], [])
    results = todo[0].results
    logs = results / "grid" / "logs"
    runner = executor.make(logs)
    submitted, failed = [], []
    slots = len(todo) if executor.kind == "slurm" else local_slots()
    for start in range(0, len(todo), slots):
        wave = todo[start : start + slots]
        with runner.batch():
            handles = [runner.submit(TrainJob(), job) for job in wave]
        _record(results, list(zip(wave, handles, strict=True)), executor.kind, logs)
        submitted += handles
        if executor.kind == "local" or wait:
            failed += _wait(handles, wave)
    return Submission(submitted, failed)


def _record(results: Path, submitted: list[tuple[GridJob, Any]], kind: str, logs: Path) -> None:
    path = results / "grid" / SUBMITTED
    path.parent.mkdir(parents=True, exist_ok=True)
    now = time.strftime("%Y-%m-%dT%H:%M:%S")
    rows = pd.DataFrame(
        [
            {"folder": str(j.folder), "job_id": h.job_id, "executor": kind, "logs": str(logs), "time": now}
            for j, h in submitted
        ]
    )
    rows.to_csv(path, mode="a", header=not path.exists(), index=False)


def _wait(handles: Sequence, jobs: Sequence[GridJob]) -> list[GridJob]:
    """Wait for every job; a failure is reported with its log and the others go on. Returns the failed jobs."""
    failed = []
    for handle, job in zip(handles, jobs, strict=True):
        try:
            handle.result()
        except Exception as err:  # noqa: BLE001 - one job's failure must not stop the grid
            print(f"{job.label}: failed ({type(err).__name__}); log {handle.paths.stderr}")
            failed.append(job)
    return failed
