"""The ``rclib`` command line: train, evaluate, describe, demo-data, prepare, reproduce.

Expected failures (bad paths, names, sizes, checkpoints, disks) print one ``rclib: error: ...`` line and
exit with status 2, never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .config import BACKBONES, PRESETS, paper_settings, get_preset
from .data import DATASETS, DataError, DemoSpec


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train one preset on one category and write metrics.json, history.csv, checkpoint.pt")
    p.add_argument("--preset", required=True, help=f"one of: {', '.join(PRESETS)}")
    p.add_argument("--data-root", required=True, type=Path, help="MVTec-layout folder (or a prepared medical folder)")
    p.add_argument("--category", required=True)
    p.add_argument("--dataset", default="mvtec_ad", help=f"one of: {', '.join(DATASETS)} (selects Appendix C settings)")
    p.add_argument("--backbone", default=None, help=f"one of: {', '.join(BACKBONES)}")
    p.add_argument("--image-size", type=int)
    p.add_argument("--iterations", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--eval-every", type=int)
    p.add_argument("--encoder-lr", type=float)
    p.add_argument("--device", default=None, help="auto (default), cpu or cuda")
    p.add_argument("--amp", choices=("none", "bf16", "fp16"))
    p.add_argument("--num-workers", type=int)
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--channels-last", action="store_const", const=True, help="model and images in channels_last memory format")
    p.add_argument("--reuse-cpu-memory", action="store_const", const=True,
                   help="keep freed memory for reuse on CPU: faster steps, higher peak RSS (config reuse_cpu_memory)")
    p.add_argument("--no-pretrained", action="store_true", help="random encoder weights (recorded in metrics.json)")
    p.add_argument("--resume", action="store_true", help="continue RUN_DIR/checkpoint.pt of the same configuration")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--out", required=True, type=Path, help="run directory")


def _train(args: argparse.Namespace) -> int:
    from .cache import fit_on_disk

    config = paper_settings(get_preset(args.preset), args.dataset, args.category)
    flags = {
        "backbone": args.backbone, "image_size": args.image_size, "iterations": args.iterations,
        "batch_size": args.batch_size, "seed": args.seed, "eval_every": args.eval_every,
        "encoder_lr": args.encoder_lr, "device": args.device, "amp": args.amp,
        "num_workers": args.num_workers, "checkpoint_every": args.checkpoint_every,
        "channels_last": args.channels_last, "reuse_cpu_memory": args.reuse_cpu_memory,
    }
    config = config.replace(**{k: v for k, v in flags.items() if v is not None})
    run = fit_on_disk(config, args.dataset, args.data_root, args.category, out=args.out,
                      progress=not args.no_progress, pretrained=not args.no_pretrained, resume=args.resume)
    print(json.dumps({"out": str(args.out), **run.metrics, "seconds": round(run.seconds, 1)}, indent=1))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .data import open_dataset
    from .evaluate import evaluate
    from .train import load_run

    run = load_run(args.run, device=args.device)
    info = run.extra
    dataset = args.dataset or info.get("dataset", "mvtec_ad")
    root = args.data_root or info.get("data_root")
    category = args.category or info.get("category")
    if root is None or category is None:
        raise DataError("this run does not record its data; pass --data-root and --category")
    c = run.config
    test = open_dataset(dataset, root, category, "test", c.image_size, c.crop_size, c.mask_threshold)
    metrics = evaluate(run.model, test, aupro_protocol=args.aupro_protocol, fast_inference=False if args.exact else None)
    print(json.dumps({"run": str(args.run), "dataset": dataset, "category": category, "metrics": metrics}, indent=1))
    return 0


def _describe(args: argparse.Namespace) -> int:
    from .model import describe

    config = get_preset(args.preset, backbone=args.backbone, image_size=args.image_size)
    print(json.dumps(describe(config, pretrained=not args.no_pretrained), indent=1))
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    from .data import write_demo_data

    out = write_demo_data(args.out, DemoSpec(size=args.size, seed=args.seed))
    print(f"demo data written to {out} (categories: brick, grass, gravel; real photographs, synthetic defects)")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from . import prepare

    counts = prepare.PREPARERS[args.dataset](args.raw, args.out)
    print(json.dumps({"dataset": args.dataset, "out": str(args.out), "images": counts}, indent=1))
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from .reproduce import reproduce

    return reproduce(profile=args.profile, only=args.only, notebooks_dir=args.notebooks, build_dir=args.build, timeout=args.timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rclib", description="ReContrast (NeurIPS 2023): train, evaluate and reproduce the paper.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    p = sub.add_parser("evaluate", help="re-score a saved run")
    p.add_argument("--run", required=True, type=Path)
    p.add_argument("--data-root", type=Path)
    p.add_argument("--category")
    p.add_argument("--dataset")
    p.add_argument("--aupro-protocol", choices=("per_image", "pooled"))
    p.add_argument("--exact", action="store_true",
                   help="score the model as trained (no folded BatchNorm, no channels_last): bit-identical to the official protocol")
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
    p = sub.add_parser("reproduce", help="run every notebook with papermill and summarise")
    p.add_argument("--profile", default="demo", choices=("smoke", "demo", "paper"))
    p.add_argument("--only", default=None, help="glob pattern of notebook names, e.g. '0[0-3]*'")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"))
    p.add_argument("--build", type=Path, default=Path("build/notebooks"))
    p.add_argument("--timeout", type=int, default=3600, help="seconds per notebook")
    return parser


COMMANDS = {"train": _train, "evaluate": _evaluate, "describe": _describe, "demo-data": _demo_data, "prepare": _prepare, "reproduce": _reproduce}


def main(argv: list[str] | None = None) -> int:
    from .encoders import WeightsUnavailableError
    from .runtime import SaveError
    from .train import CheckpointMismatch, TrainingDiverged

    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (DataError, ValueError, WeightsUnavailableError, CheckpointMismatch, SaveError, TrainingDiverged, FileNotFoundError, RuntimeError) as err:
        print(f"rclib: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rclib: interrupted; a run with --out can continue with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
