"""``rclib evaluate``, ``predict`` and ``export``: a trained run re-scored, applied to new images, exported."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ..data import DataError, FolderLayout
from .options import add_progress, add_switch, count, device_name, finite_float, positive_int

PREDICT_SHOWN = 20  # rclib predict prints the table of at most this many images (all are in predictions.csv)


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="re-score a saved run on its test set (a folder run: the recorded layout)")
    p.add_argument("--run", required=True, type=Path, help="a finished run folder")
    p.add_argument("--data-root", type=Path, help="the data folder (default: the one the run records)")
    p.add_argument("--category", help="the category (default: the run's)")
    p.add_argument("--dataset", help="the data set (default: the run's)")
    p.add_argument(
        "--aupro-protocol", choices=("per_image", "pooled"), help="AUPRO protocol (default: the run's configuration's)"
    )
    add_switch(
        p,
        "--exact",
        False,
        "score the model as trained (no folded BatchNorm, no channels_last): the official protocol, bit for bit",
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
    add_switch(
        p,
        "--overlays",
        True,
        "write overlays/<image>.png (default; 0.1-0.3 s per image on a CPU); --no-overlays: masks and maps only",
    )
    add_switch(
        p,
        "--resume",
        False,
        "continue the predictions in --out, skipping the images of its predictions.jsonl (default: refuse)",
    )
    add_progress(p)
    p = sub.add_parser(
        "export", help="the run's scoring graph (BN folded, pre- and postprocessing) as ONNX/TorchScript"
    )
    p.add_argument("--run", required=True, type=Path, help="a finished run folder")
    p.add_argument("--format", required=True, choices=("onnx", "torchscript"), help="onnx or torchscript")
    p.add_argument("--out", type=Path, help="the file to write (default: RUN/model.onnx or RUN/model.torchscript.pt)")
    add_switch(p, "--overwrite", False, "replace an existing file (default: refuse)")


def evaluate_command(args: argparse.Namespace) -> int:
    from ..runs import RunSpec, load_run, open_split
    from ..scoring import evaluate

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


def predict_command(args: argparse.Namespace) -> int:
    from ..runs import load_run
    from ..runs.predict import PredictOptions, predict_images, run_calibration

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


def export_command(args: argparse.Namespace) -> int:
    from ..runs import load_run
    from ..runs.export import export_run

    run = load_run(args.run, device="cpu")
    path = export_run(run, args.format, args.out, overwrite=args.overwrite)
    print(f"{args.format} scoring graph of {args.run} written to {path} (uint8 RGB N x 3 x S x S in; maps, scores out)")
    return 0
