"""What the analysis plan's runs cost on this machine: one demo run of each preset timed cold (training and its
evaluations on the 1,000-image test set), times the number of runs of that preset the plan's claims need (every
claim over its seeds; the tables' and figures' runs are among them), as the minutes of training a cold
``make reproduce`` cannot avoid. The notebooks' own analyses (landscapes, galleries, maps) come on top.

    python benchmarks/reproduce_cost.py          # writes benchmarks/results/reproduce_cost.csv

Run it on a quiet machine: load on the two cores inflates every time (the file records the load average).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import torch

from rclib.batch.jobs import GridJob, GridRequest, expand
from rclib.paper.plan import CLAIMS
from rclib.paper.profiles import get_profile
from rclib.runs import cached_run

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "reproduce_cost.csv"


def time_one(job: GridJob, results: Path) -> float:
    """Seconds of one cold run of ``job`` (trained into ``results``, a scratch cache)."""
    spec = job.spec
    t0 = time.perf_counter()
    cached_run(spec, results, progress=False)
    return time.perf_counter() - t0


def main() -> None:
    profile = get_profile("demo")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as scratch:
        request = GridRequest(claims=tuple(CLAIMS), data_dir=ROOT / "data", results_root=Path(scratch))
        jobs = expand(profile, request)
        runs = Counter(job.preset for job in jobs)
        first = {job.preset: job for job in reversed(jobs)}  # one run of each preset
        seconds = {preset: time_one(job, job.results) for preset, job in sorted(first.items())}
    rows = [
        {"preset": p, "runs": runs[p], "seconds_per_run": round(s, 1), "minutes": round(runs[p] * s / 60, 1)}
        for p, s in seconds.items()
    ]
    table = pd.DataFrame(rows)
    total = {"preset": "all", "runs": int(table.runs.sum()), "seconds_per_run": None}
    table = pd.concat([table, pd.DataFrame([{**total, "minutes": round(table.minutes.sum(), 1)}])])
    table = table.assign(
        threads=torch.get_num_threads(),
        load_average=round(os.getloadavg()[0], 2),
        commit=commit.stdout.strip(),
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT, index=False)
    print(table.to_string(index=False))
    print(f"written {OUT}")


if __name__ == "__main__":
    main()
