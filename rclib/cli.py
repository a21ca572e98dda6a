"""The ``rclib`` command line: train, evaluate, predict, export, describe, demo-data, prepare, grid, student,
reproduce.

Expected failures (bad paths, names, sizes, options, checkpoints, disks, a missing optional dependency) print one
``rclib: error: ...`` line and exit with status 2, never a stack trace. Anything else is a bug or an exhausted
machine: one ``rclib: unexpected error ...`` line and status 1, with the traceback under ``--debug`` (or
``RCLIB_DEBUG=1``). Warnings print as ``rclib: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import re
import sys
import time
import traceback
import warnings
from pathlib import Path

from .config import PRESETS, ReContrastConfig, get_preset, paper_settings
from .data import DATASETS, DataError, DemoSpec, FolderLayout

PREDICT_SHOWN = 20  # rclib predict prints the table of at most this many images (all are in predictions.csv)


class Parser(argparse.ArgumentParser):
    """argparse with rclib's one-line errors: ``rclib: error: argument --x: ... (see rclib cmd --help)``, status 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"rclib: error: {message} (see {self.prog} --help)\n")


# --- option types: a bad value is one line naming the option ---------------------------------------------------
def positive_int(text: str) -> int:
    if not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def count(text: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise argparse.ArgumentTypeError(f"expected 0 or a positive integer, got {text!r}")
    return int(text)


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def fraction(text: str) -> float:
    value = finite_float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def device_name(text: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (CUDA only where it is available), ``mps``."""
    import torch

    if text == "auto":
        return text
    try:
        device = torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda, cuda:N or mps, got {text!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{text!r} asked for, but CUDA is not available here: use auto or cpu")
    return text


# --- train ------------------------------------------------------------------------------------------------------
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
    p.add_argument(
        "--pretrained",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="ImageNet encoder weights (default); --no-pretrained: random weights (recorded in metrics.json)",
    )
    p.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="continue --out's checkpoint of the same configuration (default: no)",
    )
    _add_progress(p)
    p.add_argument("--out", required=True, type=Path, help="run directory")
    g = p.add_argument_group("your own folder (--dataset folder; recorded in the run, reused by evaluate)")
    g.add_argument("--normal-dir", help="folder of normal training images under --data-root (default: train)")
    g.add_argument(
        "--test-dir", help="test folder under --data-root: <dir>/good and <dir>/<kind> (default: test, optional)"
    )
    g.add_argument(
        "--abnormal-dir",
        nargs="+",
        action="extend",
        metavar="DIR",
        help="folders of anomalous test images under --data-root, the kind named after each (repeatable)",
    )
    g.add_argument(
        "--mask-dir", help="mask folder under --data-root: <dir>/<kind>/<stem>.png or <dir>/<stem>.png (default: masks)"
    )
    g.add_argument(
        "--validation-dir", help="labelled folder like the test folder, to choose the thresholds (default: validation)"
    )
    g.add_argument(
        "--test-split",
        type=fraction,
        help=f"fraction of the normal images split off for testing when the test set has none of its own "
        f"(default: {FolderLayout.test_split}; 0: none)",
    )


FOLDER_FLAGS = {
    "normal_dir": "normal",
    "test_dir": "test",
    "abnormal_dir": "abnormal",
    "mask_dir": "masks",
    "validation_dir": "validation",
    "test_split": "test_split",
}


def folder_layout(args: argparse.Namespace) -> FolderLayout | None:
    """The folder layout the train flags name (None without any); a named folder must exist under --data-root."""
    given = {field: getattr(args, flag) for flag, field in FOLDER_FLAGS.items() if getattr(args, flag) is not None}
    if not given:
        return None
    if args.dataset != "folder":
        flags = ", ".join("--" + flag.replace("_", "-") for flag, f in FOLDER_FLAGS.items() if f in given)
        raise DataError(f"{flags} name folders of --dataset folder, not of --dataset {args.dataset}")
    for flag, field in FOLDER_FLAGS.items():
        names = given.get(field, ())
        for name in [names] if isinstance(names, str) else names if field != "test_split" else ():
            if not (args.data_root / name).is_dir():
                option = "--" + flag.replace("_", "-")
                raise DataError(f"{option} {name}: '{args.data_root / name}' does not exist or is not a folder")
    return FolderLayout(**given)


def _train(args: argparse.Namespace) -> int:
    from .runs import fit

    if args.category is None and args.dataset != "folder":
        raise DataError(f"--category is required with --dataset {args.dataset}")
    category = args.category or args.data_root.name
    layout = folder_layout(args)
    config = paper_settings(get_preset(args.preset), args.dataset, category)
    config = config.replace(**overrides(args.set))
    run = fit(
        config,
        args.data_root,
        category,
        out=args.out,
        progress=args.progress,
        dataset=args.dataset,
        pretrained=args.pretrained,
        resume=args.resume,
        layout=layout,
    )
    extra = {k: run.extra[k] for k in ("note", "test_split", "threshold") if k in run.extra}
    print(json.dumps({"out": str(args.out), **run.metrics, "seconds": round(run.seconds, 1), **extra}, indent=1))
    return 0


# --- evaluate, predict, export ----------------------------------------------------------------------------------
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
    options = {"layout": FolderLayout.from_dict(info["layout"])} if dataset == "folder" and "layout" in info else {}
    test = open_split(RunSpec(run.config, dataset, root, category), "test", **options)
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
    from .runs.predict import PredictOptions, predict_images, run_calibration

    options = PredictOptions(
        threshold=args.threshold,
        pixel_threshold=args.pixel_threshold,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        overlays=args.overlays,
        resume=args.resume,
        progress=args.progress,
    )
    run = load_run(args.run, device=args.device)
    t0 = time.perf_counter()
    table = predict_images(run, args.images, args.out, options)
    seconds = time.perf_counter() - t0
    calibration = run_calibration(run, args.threshold, args.pixel_threshold)
    shown = table.drop(columns=["mask", "map"]).head(PREDICT_SHOWN)
    print(shown.to_string(index=False, max_colwidth=60))
    if len(table) > PREDICT_SHOWN:
        print(f"... {len(table) - PREDICT_SHOWN} more rows in {args.out / 'predictions.csv'}")
    anomalous = int((table.decision == "anomalous").sum())
    print(f"{anomalous} of {len(table)} images anomalous ({seconds:.1f} s)")
    print(f"image threshold {calibration.image.value:.4f}: {calibration.image.detail}")
    print(f"pixel threshold {calibration.pixel.value:.4f}: {calibration.pixel.detail}")
    print(f"masks/, maps/, {'overlays/, ' if args.overlays else ''}predictions.jsonl and predictions.csv in {args.out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .runs import load_run
    from .runs.export import export_run

    run = load_run(args.run, device="cpu")
    path = export_run(run, args.format, args.out, overwrite=args.overwrite)
    print(f"{args.format} scoring graph of {args.run} written to {path} (uint8 RGB N x 3 x S x S in; maps, scores out)")
    return 0


# --- the other commands -----------------------------------------------------------------------------------------
def _describe(args: argparse.Namespace) -> int:
    from .paper.complexity import describe

    config = get_preset(args.preset, backbone=args.backbone, image_size=args.image_size)
    print(json.dumps(describe(config, pretrained=args.pretrained), indent=1))
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


def _add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a progress bar on the terminal (default); --no-progress: none",
    )


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
        if name == "device":
            try:
                device_name(value)
            except argparse.ArgumentTypeError as err:
                raise ValueError(f"--set {item!r}: {err}") from None
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
            return _grid_report(grid, as_json=args.json)
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
    return _grid_report(grid, as_json=args.json)


def _grid_report(grid: list, *, as_json: bool) -> int:
    """Print the grid's status per table (or as JSON); exit status 1 when a job has failed, 0 otherwise."""
    from .batch import status

    now = status.statuses(grid)
    table = status.status_table(grid, now)
    failed = status.failures(grid, now)
    if as_json:
        counts = {str(name): {k: int(v) for k, v in row.items()} for name, row in table.iterrows()}
        print(json.dumps({"jobs": len(grid), "per_table": counts, "failed": failed}, indent=1))
    else:
        print(table.to_string())
        for line in failed:
            print(line)
    return 1 if failed else 0


def _student(args: argparse.Namespace) -> int:
    import nbformat

    from .course.student import exercises, write_student_copies

    written = write_student_copies(args.notebooks, args.out)
    count = sum(len(exercises(nbformat.read(p, as_version=4))) for p in written)
    print(f"{len(written)} student notebooks with {count} coding exercises (solutions removed) written to {args.out}")
    return 0


def _course(args: argparse.Namespace) -> int:
    from .course.grading import POINTS, write_course

    written = write_course(args.notebooks, args.out)
    print(f"{len(written)} assignments written to {args.out / 'source'} (points per exercise: {POINTS}):")
    for path in written:
        print(f"  {path.parent.name}")
    print(f"student versions: cd {args.out} && nbgrader generate_assignment '*' (make release)")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    import papermill  # noqa: F401 - missing, it names its extra here instead of failing every notebook

    from .batch.reproduce import reproduce

    return reproduce(
        profile=args.profile, only=args.only, notebooks_dir=args.notebooks, build_dir=args.build, timeout=args.timeout
    )


def _study(args: argparse.Namespace) -> int:
    from .batch.studies import budget_study

    table = budget_study(args.profile, data_dir=args.data_dir, results_root=args.results, progress=args.progress)
    print(table.drop(columns=["values", "command", "commit"]).round(3).to_string(index=False))
    print(f"written to {args.results / args.profile / 'budget_study.csv'}")
    return 0


# --- the parser -------------------------------------------------------------------------------------------------
def _add_scoring(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="re-score a saved run on its test set (a folder run: the recorded layout)")
    p.add_argument("--run", required=True, type=Path, help="a finished run folder")
    p.add_argument("--data-root", type=Path, help="the data folder (default: the one the run records)")
    p.add_argument("--category", help="the category (default: the run's)")
    p.add_argument("--dataset", help="the data set (default: the run's)")
    p.add_argument(
        "--aupro-protocol", choices=("per_image", "pooled"), help="AUPRO protocol (default: the run's configuration's)"
    )
    p.add_argument(
        "--exact",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="score the model as trained (no folded BatchNorm, no channels_last): the official protocol, bit for bit",
    )
    p.add_argument("--device", type=device_name, default="auto", help="auto (CUDA when present; default), cpu, cuda")
    p = sub.add_parser(
        "predict", help="score new images with a trained run: masks, maps, overlays, predictions.jsonl and .csv"
    )
    p.add_argument("images", nargs="+", type=Path, help="image files and/or folders of images (any size)")
    p.add_argument("--run", required=True, type=Path, help="a finished run folder")
    p.add_argument("--out", required=True, type=Path, help="folder for the predictions (new, or one to --resume)")
    p.add_argument("--threshold", type=finite_float, help="decide with this S^img threshold instead of the run's")
    p.add_argument(
        "--pixel-threshold", type=finite_float, help="make masks with this S^map threshold instead of the run's"
    )
    p.add_argument("--batch-size", type=positive_int, default=8, help="images per forward pass (default: 8)")
    p.add_argument(
        "--num-workers", type=count, default=0, help="processes that read the images (default: 0, this process)"
    )
    p.add_argument("--device", type=device_name, default="auto", help="auto (CUDA when present; default), cpu, cuda")
    p.add_argument(
        "--overlays",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write overlays/<image>.png (default; 0.1-0.3 s per image on a CPU); --no-overlays: masks and maps only",
    )
    p.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="continue the predictions in --out, skipping the images of its predictions.jsonl (default: refuse)",
    )
    _add_progress(p)
    p = sub.add_parser(
        "export", help="the run's scoring graph (BN folded, pre- and postprocessing) as ONNX/TorchScript"
    )
    p.add_argument("--run", required=True, type=Path, help="a finished run folder")
    p.add_argument("--format", required=True, choices=("onnx", "torchscript"), help="onnx or torchscript")
    p.add_argument("--out", type=Path, help="the file to write (default: RUN/model.onnx or RUN/model.torchscript.pt)")
    p.add_argument(
        "--overwrite",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="replace an existing file (default: refuse)",
    )


def _add_data_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("describe", help="parameters, MACs and stages of a preset/backbone (Table A5's columns)")
    p.add_argument("--preset", default="ReContrast", help="one of the presets (default: ReContrast)")
    p.add_argument("--backbone", default="wide_resnet50_2", help="the encoder (default: wide_resnet50_2)")
    p.add_argument("--image-size", type=int, default=256, help="input side in pixels (default: 256)")
    p.add_argument(
        "--pretrained",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="load the ImageNet weights (default); --no-pretrained: random weights, nothing downloaded",
    )
    p = sub.add_parser("demo-data", help="write the embedded demo data set (MVTec layout), offline and deterministic")
    p.add_argument("out", type=Path, help="the folder to write")
    p.add_argument("--size", type=positive_int, default=DemoSpec.size, help=f"image side (default: {DemoSpec.size})")
    p.add_argument("--seed", type=int, default=DemoSpec.seed, help=f"random seed (default: {DemoSpec.seed})")
    p = sub.add_parser("prepare", help="convert an official download into the layout rclib reads")
    p.add_argument("dataset", choices=("visa", "aptos", "isic2018"), help="which data set the download is")
    p.add_argument("raw", type=Path, help="the unpacked official download")
    p.add_argument("out", type=Path, help="the folder to write")


def _add_grid(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument(
        "--dry-run",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="list the jobs and their cost; submit nothing",
    )
    p.add_argument(
        "--tflops", type=float, default=20.0, help="assumed sustained TFLOP/s of one GPU (--dry-run's hours)"
    )
    p.add_argument(
        "--status",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="done / running / failed / missing per table (exit status 1 when a job has failed)",
    )
    p.add_argument(
        "--json", action=argparse.BooleanOptionalAction, default=False, help="the status as JSON (for scripts)"
    )
    p.add_argument(
        "--collect",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="merge finished runs: mean and std over seeds",
    )
    p.add_argument("--executor", default="local", choices=("local", "slurm"), help="where jobs run (default: local)")
    p.add_argument("--partition", help="Slurm partition")
    p.add_argument("--account", help="Slurm account")
    p.add_argument("--gpus-per-job", type=int, default=0, help="GPUs per job (default: 0)")
    p.add_argument("--cpus-per-job", type=int, help="CPUs per job (default: the executor's)")
    p.add_argument("--time-min", type=int, default=24 * 60, help="time limit of one job, minutes")
    p.add_argument("--array-parallelism", type=int, default=64, help="Slurm: array jobs running at once")
    p.add_argument("--checkpoint-every", type=int, default=100, help="iterations between checkpoints")
    _add_set(p, "change configuration fields of every job")
    p.add_argument(
        "--wait", action=argparse.BooleanOptionalAction, default=False, help="Slurm: wait for the jobs to end"
    )


def _add_course(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "student", help="student copies of the notebooks: solutions and hidden tests removed (nbgrader), checks kept"
    )
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument("--out", type=Path, default=Path("build/student"), help="where to write (default: build/student)")
    p = sub.add_parser(
        "course", help="the nbgrader course directory: one assignment per notebook with exercises, from the notebooks"
    )
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument(
        "--out", type=Path, default=Path("course"), help="the course directory, new or to update (default: course)"
    )
    p = sub.add_parser("reproduce", help="run every notebook with papermill and summarise")
    p.add_argument("--profile", default="demo", choices=("smoke", "demo", "paper"), help="scale (default: demo)")
    p.add_argument("--only", default=None, help="glob pattern of notebook names, e.g. '0[0-3]*'")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument("--build", type=Path, default=Path("build/notebooks"), help="executed copies go here")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per notebook")
    p = sub.add_parser("study", help="the budget study: C3a, C3b and C4 after 200-1,600 iterations (hours; resumable)")
    p.add_argument("--profile", default="demo", choices=("smoke", "demo", "paper"), help="scale (default: demo)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="where the data sets live (default: data)")
    p.add_argument(
        "--results", type=Path, default=Path("results"), help="results root, the run cache (default: results)"
    )
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=False, help="progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="rclib", description="ReContrast (NeurIPS 2023): train, evaluate and reproduce the paper.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {importlib.metadata.version('rclib')}")
    parser.add_argument(
        "--debug",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="show the traceback of an unexpected error (also: environment RCLIB_DEBUG=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True, help="what to do (rclib COMMAND --help: its options)")
    _add_train(sub)
    _add_scoring(sub)
    _add_data_commands(sub)
    _add_grid(sub)
    _add_course(sub)
    return parser


COMMANDS = {
    "train": _train,
    "evaluate": _evaluate,
    "predict": _predict,
    "export": _export,
    "describe": _describe,
    "demo-data": _demo_data,
    "prepare": _prepare,
    "grid": _grid,
    "student": _student,
    "course": _course,
    "reproduce": _reproduce,
    "study": _study,
}


# --- errors -----------------------------------------------------------------------------------------------------
def extra_of(module: str | None) -> str | None:
    """The optional extra of rclib's installed requirements that provides ``module`` (``seaborn`` -> ``notebooks``),
    read from the package's metadata; None when no extra does."""
    top = (module or "").split(".")[0].lower()
    for requirement in importlib.metadata.requires("rclib") or []:
        spec, _, marker = requirement.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        name = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("-", "_")
        if extra and name == top:
            return extra.group(1)
    return None


def expected_errors() -> tuple[type[BaseException], ...]:
    """Bad input and unmet conditions, each one line (DataError, a configuration's ValueError and CheckpointMismatch
    are ValueErrors): never a bare RuntimeError, which is a bug or an exhausted machine."""
    from .method import WeightsUnavailableError
    from .runs import TrainingDiverged
    from .runs.lock import RunBusy
    from .runs.runtime import SaveError

    return ValueError, FileNotFoundError, WeightsUnavailableError, SaveError, TrainingDiverged, RunBusy


def _show_warning(message: Warning | str, *_: object, **__: object) -> None:
    """A warning as one ``rclib: warning: ...`` line on stderr (the signature of ``warnings.showwarning``)."""
    print(f"rclib: warning: {message}", file=sys.stderr)


def run_command(args: argparse.Namespace, debug: bool) -> int:
    """The command's status; an error as one line on stderr (2: expected, 1: unexpected, traceback with debug)."""
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("rclib: interrupted; train and predict continue with --resume", file=sys.stderr)
        return 130
    except ModuleNotFoundError as err:
        extra = extra_of(err.name)
        if extra is None:
            return unexpected(err, debug)
        print(
            f"rclib: error: rclib {args.command} needs the optional '{extra}' dependencies ({err}): "
            f"pip install 'rclib[{extra}]'",
            file=sys.stderr,
        )
        return 2
    except expected_errors() as err:
        if debug:
            traceback.print_exc()
        print(f"rclib: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - the last resort: one line, the traceback on request
        return unexpected(err, debug)


def unexpected(err: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(err)
        print(f"rclib: unexpected error: {type(err).__name__}: {err}", file=sys.stderr)
    else:
        print(
            f"rclib: unexpected error (run with --debug for the traceback): {type(err).__name__}: {err}",
            file=sys.stderr,
        )
    return 1


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a bad option (its one line is printed already)
        return int(stop.code or 0)
    debug = args.debug or os.environ.get("RCLIB_DEBUG", "0") not in ("", "0")
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return run_command(args, debug)
