"""The ``rclib`` command line: train, evaluate, predict, describe, demo-data, prepare, reproduce.

Expected failures (bad paths, names, sizes, checkpoints, disks) print one ``rclib: error: ...`` line and
exit with status 2, never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import PRESETS, ReContrastConfig, get_preset, paper_settings
from .data import DATASETS, DataError, DemoSpec


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train one preset on one category and write its run folder (metrics.json, ...)")
    p.add_argument("--preset", required=True, help=f"one of: {', '.join(PRESETS)}")
    p.add_argument(
        "--data-root", required=True, type=Path, help="MVTec-layout folder, a prepared medical folder, or your own"
    )
    p.add_argument("--category", help="category folder under --data-root (not needed with --dataset folder)")
    p.add_argument(
        "--dataset",
        default="mvtec_ad",
        help=f"one of: {', '.join(DATASETS)} (selects Appendix C settings); 'folder': your own images in --data-root "
        "(train/, optional test/good and test/<kind>, optional masks/<kind>/<stem>.png, optional validation/)",
    )
    _add_set(p, "change configuration fields of the run, e.g. --set iterations=500 backbone=resnet18")
    p.add_argument("--no-pretrained", action="store_true", help="random encoder weights (recorded in metrics.json)")
    p.add_argument("--resume", action="store_true", help="continue RUN_DIR/checkpoint.pt of the same configuration")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--out", required=True, type=Path, help="run directory")


def _train(args: argparse.Namespace) -> int:
    from .runs import fit

    if args.category is None and args.dataset != "folder":
        raise DataError(f"--category is required with --dataset {args.dataset}")
    category = args.category or args.data_root.name
    config = paper_settings(get_preset(args.preset), args.dataset, category)
    config = config.replace(**overrides(args.set))
    run = fit(
        config,
        args.data_root,
        category,
        out=args.out,
        progress=not args.no_progress,
        dataset=args.dataset,
        pretrained=not args.no_pretrained,
        resume=args.resume,
    )
    extra = {k: run.extra[k] for k in ("note", "threshold") if k in run.extra}
    print(json.dumps({"out": str(args.out), **run.metrics, "seconds": round(run.seconds, 1), **extra}, indent=1))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .runs import RunSpec, load_run, open_split
    from .scoring import evaluate

    run = load_run(args.run, device=args.device)
    info = run.extra
    dataset = args.dataset or info.get("dataset", "mvtec_ad")
    root = args.data_root or info.get("data_root")
    category = args.category or info.get("category")
    if root is None or category is None:
        raise DataError("this run does not record its data; pass --data-root and --category")
    test = open_split(RunSpec(run.config, dataset, root, category), "test")
    metrics = evaluate(
        run.model, test, aupro_protocol=args.aupro_protocol, fast_inference=False if args.exact else None
    )
    doc = {"run": str(args.run), "dataset": dataset, "category": category, "metrics": metrics}
    if not getattr(test, "has_masks", True):
        doc["note"] = "image-level metrics only: pixel metrics (P-AUROC, AUPRO) need masks, and this test set has none"
    print(json.dumps(doc, indent=1))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from .runs import load_run
    from .runs.predict import predict_images, run_threshold

    run = load_run(args.run, device=args.device)
    table = predict_images(run, args.images, args.out, threshold=args.threshold)
    chosen = run_threshold(run, args.threshold)
    print(table.to_string(index=False, max_colwidth=60))
    if chosen is None:
        print("no threshold: this run recorded none (runs on your own folder do); pass --threshold to decide")
    else:
        print(f"threshold {chosen.value:.4f}: {chosen.detail}")
    print(f"overlays and predictions.csv written to {args.out}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    from .paper.complexity import describe

    config = get_preset(args.preset, backbone=args.backbone, image_size=args.image_size)
    print(json.dumps(describe(config, pretrained=not args.no_pretrained), indent=1))
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from .data import write_demo_data

    out = write_demo_data(args.out, DemoSpec(size=args.size, seed=args.seed))
    print(f"demo data written to {out} (categories: brick, grass, gravel; real photographs, synthetic defects)")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from .data import prepare

    counts = prepare.PREPARERS[args.dataset](args.raw, args.out)
    print(json.dumps({"dataset": args.dataset, "out": str(args.out), "images": counts}, indent=1))
    return 0


def _add_set(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--set", nargs="+", action="extend", default=[], metavar="FIELD=VALUE", help=help_text)


def overrides(items: list[str]) -> dict[str, object]:
    """``FIELD=VALUE`` items as configuration overrides: VALUE is a Python literal (a plain string otherwise),
    checked against the field's type so that a bad value is one clear line."""
    import ast
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(ReContrastConfig)}
    defaults = ReContrastConfig()
    out: dict[str, object] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or name not in fields:
            raise ValueError(
                f"--set {item!r}: expected FIELD=VALUE, FIELD one of the configuration's fields: {', '.join(fields)}"
            )
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        default = getattr(defaults, name)
        expected = type(default)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"--set {item!r}: {name} expects True or False")
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is not None and not isinstance(default, tuple) and not isinstance(value, expected):
            raise ValueError(f"--set {item!r}: {name} expects a {expected.__name__}, got {text!r}")
        out[name] = value
    ReContrastConfig().replace(**out)  # the configuration's own checks: one line naming the field
    return out


def _grid(args: argparse.Namespace) -> int:
    import pandas as pd

    from .batch import jobs, status, submit
    from .paper.profiles import get_profile

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
            now = status.statuses(grid)
            print(status.status_table(grid, now).to_string())
            for line in status.failures(grid, now):
                print(line)
            return 0
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
        array_parallelism=args.array_parallelism,
        account=args.account,
        cpus_per_job=args.cpus_per_job,
    )
    submitted = submit.submit(grid, executor, wait=args.wait)
    print(f"{len(submitted)} job(s) submitted to {args.executor}; {len(grid) - len(submitted)} done or running")
    now = status.statuses(grid)
    print(status.status_table(grid, now).to_string())
    for line in status.failures(grid, now):
        print(line)
    return 0


def _student(args: argparse.Namespace) -> int:
    import nbformat

    from .course.student import exercises, write_student_copies

    written = write_student_copies(args.notebooks, args.out)
    count = sum(len(exercises(nbformat.read(p, as_version=4))) for p in written)
    print(f"{len(written)} student notebooks with {count} coding exercises (solutions removed) written to {args.out}")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from .batch.reproduce import reproduce

    return reproduce(
        profile=args.profile, only=args.only, notebooks_dir=args.notebooks, build_dir=args.build, timeout=args.timeout
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rclib", description="ReContrast (NeurIPS 2023): train, evaluate and reproduce the paper."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    p = sub.add_parser("evaluate", help="re-score a saved run")
    p.add_argument("--run", required=True, type=Path)
    p.add_argument("--data-root", type=Path)
    p.add_argument("--category")
    p.add_argument("--dataset")
    p.add_argument("--aupro-protocol", choices=("per_image", "pooled"))
    p.add_argument(
        "--exact",
        action="store_true",
        help="score the model as trained (no folded BatchNorm, no channels_last): the official protocol, bit for bit",
    )
    p.add_argument("--device", default="cpu")
    p = sub.add_parser("predict", help="score new images with a trained run: overlays (PNG) and predictions.csv")
    p.add_argument("images", nargs="+", type=Path, help="image files and/or folders of images")
    p.add_argument("--run", required=True, type=Path, help="a finished run folder")
    p.add_argument("--out", required=True, type=Path, help="folder for the overlays and predictions.csv (new)")
    p.add_argument("--threshold", type=float, help="decide with this S^img threshold instead of the run's")
    p.add_argument("--device", default="cpu")
    p = sub.add_parser("describe", help="parameters, MACs and stages of a preset/backbone (Table A5's columns)")
    p.add_argument("--preset", default="ReContrast")
    p.add_argument("--backbone", default="wide_resnet50_2")
    p.add_argument("--image-size", type=int, default=256)
    p.add_argument("--no-pretrained", action="store_true")
    p = sub.add_parser("demo-data", help="write the embedded demo data set (MVTec layout), offline and deterministic")
    p.add_argument("out", type=Path)
    p.add_argument("--size", type=int, default=DemoSpec.size)
    p.add_argument("--seed", type=int, default=DemoSpec.seed)
    p = sub.add_parser("prepare", help="convert an official download into the layout rclib reads")
    p.add_argument("dataset", choices=("visa", "aptos", "isic2018"))
    p.add_argument("raw", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("grid", help="the paper's grid of runs on Slurm or this machine (submitit), resumable")
    p.add_argument("--profile", default="paper", choices=("smoke", "demo", "paper"))
    p.add_argument("--tables", nargs="*", default=[], help="tables whose runs to make, e.g. table6 tableA2")
    p.add_argument("--claims", nargs="*", default=[], help="claims whose runs to make, over the plan's seeds (C3 C6)")
    p.add_argument("--datasets", nargs="*", default=[], help="or: data sets to run --presets on")
    p.add_argument("--presets", nargs="*", default=[], help="presets (narrows --tables; default ReContrast)")
    p.add_argument("--categories", nargs="*", default=[], help="categories (default: all of each data set)")
    p.add_argument("--seeds", nargs="*", type=int, default=[], help="seeds (default: each table's, else the profile's)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the data sets live")
    p.add_argument("--results", type=Path, default=Path("results"), help="results root (the notebooks' cache)")
    p.add_argument("--dry-run", action="store_true", help="list the jobs and their cost; submit nothing")
    p.add_argument(
        "--tflops", type=float, default=20.0, help="assumed sustained TFLOP/s of one GPU (--dry-run's hours)"
    )
    p.add_argument("--status", action="store_true", help="done / running / failed / missing per table")
    p.add_argument("--collect", action="store_true", help="merge finished runs: mean and std over seeds")
    p.add_argument("--executor", default="local", choices=("local", "slurm"))
    p.add_argument("--partition")
    p.add_argument("--account")
    p.add_argument("--gpus-per-job", type=int, default=0)
    p.add_argument("--cpus-per-job", type=int)
    p.add_argument("--time-min", type=int, default=24 * 60, help="time limit of one job, minutes")
    p.add_argument("--array-parallelism", type=int, default=64, help="Slurm: array jobs running at once")
    p.add_argument("--checkpoint-every", type=int, default=100, help="iterations between checkpoints")
    _add_set(p, "change configuration fields of every job")
    p.add_argument("--wait", action="store_true", help="Slurm: wait for the jobs to end")
    p = sub.add_parser("student", help="student copies of the notebooks: solutions removed (nbgrader), checks kept")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"))
    p.add_argument("--out", type=Path, default=Path("build/student"))
    p = sub.add_parser("reproduce", help="run every notebook with papermill and summarise")
    p.add_argument("--profile", default="demo", choices=("smoke", "demo", "paper"))
    p.add_argument("--only", default=None, help="glob pattern of notebook names, e.g. '0[0-3]*'")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"))
    p.add_argument("--build", type=Path, default=Path("build/notebooks"))
    p.add_argument("--timeout", type=int, default=3600, help="seconds per notebook")
    return parser


COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "describe": _describe,
    "demo-data": _demo_data,
    "prepare": _prepare,
    "grid": _grid,
    "student": _student,
    "reproduce": _reproduce,
}


def main(argv: list[str] | None = None) -> int:
    from .method import WeightsUnavailableError
    from .runs import CheckpointMismatch, TrainingDiverged
    from .runs.runtime import SaveError

    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (
        DataError,
        ValueError,
        WeightsUnavailableError,
        CheckpointMismatch,
        SaveError,
        TrainingDiverged,
        FileNotFoundError,
        RuntimeError,
    ) as err:
        print(f"rclib: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rclib: interrupted; a run with --out can continue with --resume", file=sys.stderr)
        return 130
