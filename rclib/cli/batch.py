"""``rclib grid``, ``reproduce``, ``book`` and ``study``: many runs at once (submitit on Slurm or this machine),
every notebook under papermill, the executed notebooks as a website, the budget study."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from .options import add_set, add_switch, overrides


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("grid", help="the paper's grid of runs on Slurm or this machine (submitit), resumable")
    p.add_argument("--profile", default="paper", choices=("smoke", "demo", "paper"), help="scale (default: paper)")
    p.add_argument("--tables", nargs="*", default=[], help="tables whose runs to make, e.g. table6 tableA2")
    p.add_argument("--claims", nargs="*", default=[], help="claims whose runs to make, over the plan's seeds (C3 C6)")
    p.add_argument("--datasets", nargs="*", default=[], help="or: data sets to run --presets on")
    p.add_argument("--presets", nargs="*", default=[], help="presets (narrows --tables; default ReContrast)")
    p.add_argument("--categories", nargs="*", default=[], help="categories (default: all of each data set)")
    p.add_argument("--seeds", nargs="*", type=int, default=[], help="seeds (default: each table's, else the profile's)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the data sets live")
    p.add_argument("--results", type=Path, default=Path("results"), help="results root (the notebooks' cache)")
    add_switch(p, "--dry-run", False, "list the jobs and their cost; submit nothing")
    p.add_argument(
        "--tflops", type=float, default=20.0, help="assumed sustained TFLOP/s of one GPU (--dry-run's hours)"
    )
    add_switch(
        p, "--status", False, "done / running / failed / missing per table (exit status 1 when a job has failed)"
    )
    add_switch(p, "--json", False, "the status as JSON (for scripts)")
    add_switch(p, "--collect", False, "merge finished runs: mean and std over seeds")
    p.add_argument("--executor", default="local", choices=("local", "slurm"), help="where jobs run (default: local)")
    p.add_argument("--partition", help="Slurm partition")
    p.add_argument("--account", help="Slurm account")
    p.add_argument("--gpus-per-job", type=int, default=0, help="GPUs per job (default: 0)")
    p.add_argument("--cpus-per-job", type=int, help="CPUs per job (default: the executor's)")
    p.add_argument("--time-min", type=int, default=24 * 60, help="time limit of one job, minutes")
    p.add_argument(
        "--signal-delay-s",
        type=int,
        default=90,
        help="Slurm: seconds before the time limit at which a job checkpoints and requeues itself (default: 90)",
    )
    p.add_argument(
        "--max-timeouts", type=int, default=3, help="Slurm: requeues after a time limit before a job fails (default: 3)"
    )
    p.add_argument("--array-parallelism", type=int, default=64, help="Slurm: array jobs running at once")
    p.add_argument("--checkpoint-every", type=int, default=100, help="iterations between checkpoints")
    add_set(p, "change configuration fields of every job")
    add_switch(p, "--wait", False, "Slurm: wait for the jobs to end")
    p = sub.add_parser("reproduce", help="run every notebook with papermill and summarise")
    p.add_argument("--profile", default="demo", choices=("smoke", "demo", "paper"), help="scale (default: demo)")
    p.add_argument("--only", default=None, help="glob pattern of notebook names, e.g. '0[0-3]*'")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument("--build", type=Path, default=Path("build/notebooks"), help="executed copies go here")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per notebook")
    p = sub.add_parser("book", help="the executed notebooks of a profile as a static website (Sphinx, MyST-NB)")
    p.add_argument("--profile", default="demo", choices=("smoke", "demo", "paper"), help="scale (default: demo)")
    p.add_argument("--executed", type=Path, help="the executed notebooks (default: build/notebooks/PROFILE)")
    p.add_argument("--out", type=Path, help="where the site goes (default: build/book/PROFILE)")
    p = sub.add_parser("study", help="the budget study: C3a, C3b and C4 after 200-1,600 iterations (hours; resumable)")
    p.add_argument("--profile", default="demo", choices=("smoke", "demo", "paper"), help="scale (default: demo)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the data sets live (default: data)")
    p.add_argument(
        "--results", type=Path, default=Path("results"), help="results root, the run cache (default: results)"
    )
    add_switch(p, "--progress", False, "progress bars")


def grid_command(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..batch import jobs, status, submit
    from ..paper.profiles import get_profile

    request = jobs.GridRequest(
        tables=tuple(args.tables),
        claims=tuple(args.claims),
        datasets=tuple(args.datasets),
        presets=tuple(args.presets),
        categories=tuple(args.categories),
        seeds=tuple(args.seeds),
        data_dir=args.data_dir,
        results_root=args.results,
        checkpoint_every=args.checkpoint_every,
        overrides=overrides(args.set),
    )
    grid = jobs.expand(get_profile(args.profile), request)
    with pd.option_context("display.max_rows", 500, "display.width", 200):
        if args.dry_run:
            cost = jobs.estimate(grid, args.tflops, status.statuses(grid))
            print(cost.round(3).to_string(index=False))
            todo = cost[cost.status.isin(["missing", "failed", "no data"])]
            print(
                f"{len(grid)} jobs: {cost.PFLOP.sum():.3g} PFLOP of training, {cost.gpu_hours.sum():.3g} GPU hours at "
                f"{args.tflops:g} sustained TFLOP/s (--tflops); still to run: {len(todo)} jobs, "
                f"{todo.gpu_hours.sum():.3g} GPU hours ({(cost.status == 'no data').sum()} lack their data under "
                f"{args.data_dir})"
            )
            return 0
        if args.status:
            return grid_report(grid, as_json=args.json)
        if args.collect:
            merged = status.collect(grid)
            target = Path(args.results) / args.profile / "tables" / "grid_runs.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            merged.to_csv(target, index=False)
            print(merged.round(2).to_string(index=False))
            print(f"written to {target}")
            return 0
    executor = submit.Executor(
        kind=args.executor,
        partition=args.partition,
        gpus_per_job=args.gpus_per_job,
        time_min=args.time_min,
        signal_delay_s=args.signal_delay_s,
        max_timeouts=args.max_timeouts,
        array_parallelism=args.array_parallelism,
        account=args.account,
        cpus_per_job=args.cpus_per_job,
    )
    submission = submit.submit(grid, executor, wait=args.wait)
    submitted = len(submission.handles)
    print(f"{submitted} job(s) submitted to {args.executor}; {len(grid) - submitted} done or running")
    return grid_report(grid, as_json=args.json, failed=submission.failed)


def grid_report(grid: list, *, as_json: bool, failed: Sequence = ()) -> int:
    """Print the grid's status per table (or as JSON); exit status 1 when a job has failed (in its status, or
    in ``failed``: jobs a wait saw fail), 0 otherwise."""
    from ..batch import status

    now = status.statuses(grid)
    now.update({job: "failed" for job in failed if now[job] != "done"})
    table = status.status_table(grid, now)
    lines = status.failures(grid, now)
    if as_json:
        counts = {str(name): {k: int(v) for k, v in row.items()} for name, row in table.iterrows()}
        print(json.dumps({"jobs": len(grid), "per_table": counts, "failed": lines}, indent=1))
    else:
        print(table.to_string())
        for line in lines:
            print(line)
    return 1 if lines else 0


def reproduce_command(args: argparse.Namespace) -> int:
    import papermill  # noqa: F401 - missing, it names its extra here instead of failing every notebook

    from ..batch.reproduce import reproduce

    return reproduce(
        profile=args.profile, only=args.only, notebooks_dir=args.notebooks, build_dir=args.build, timeout=args.timeout
    )


def book_command(args: argparse.Namespace) -> int:
    import myst_nb  # noqa: F401 - missing, it names its extra here instead of failing inside Sphinx

    from ..batch.book import build_book

    status = build_book(args.profile, executed=args.executed, out=args.out)
    out = args.out or Path("build/book") / args.profile
    print(f"the book is in {out}/index.html" if status == 0 else f"Sphinx exited {status}: the book was not built")
    return status


def study_command(args: argparse.Namespace) -> int:
    from ..batch.studies import budget_study

    table = budget_study(args.profile, data_dir=args.data_dir, results_root=args.results, progress=args.progress)
    print(table.drop(columns=["values", "command", "commit"]).round(3).to_string(index=False))
    print(f"written to {args.results / args.profile / 'budget_study.csv'}")
    return 0
