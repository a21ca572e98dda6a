"""``rclib describe``, ``demo-data`` and ``prepare``: a preset's size, the embedded demo data, official downloads
converted."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..config import get_preset
from ..data import DemoSpec
from .options import add_switch, positive_int


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("describe", help="parameters, MACs and stages of a preset/backbone (Table A5's columns)")
    p.add_argument("--preset", default="ReContrast", help="one of the presets (default: ReContrast)")
    p.add_argument("--backbone", default="wide_resnet50_2", help="the encoder (default: wide_resnet50_2)")
    p.add_argument("--image-size", type=int, default=256, help="input side in pixels (default: 256)")
    add_switch(
        p,
        "--pretrained",
        True,
        "load the ImageNet weights (default); --no-pretrained: random weights, nothing downloaded",
    )
    p = sub.add_parser("demo-data", help="write the embedded demo data set (MVTec layout), offline and deterministic")
    p.add_argument("out", type=Path, help="the folder to write")
    p.add_argument("--size", type=positive_int, default=DemoSpec.size, help=f"image side (default: {DemoSpec.size})")
    p.add_argument("--seed", type=int, default=DemoSpec.seed, help=f"random seed (default: {DemoSpec.seed})")
    p = sub.add_parser("prepare", help="convert an official download into the layout rclib reads")
    p.add_argument("dataset", choices=("visa", "aptos", "isic2018"), help="which data set the download is")
    p.add_argument("raw", type=Path, help="the unpacked official download")
    p.add_argument("out", type=Path, help="the folder to write")


def describe_command(args: argparse.Namespace) -> int:
    from ..paper.complexity import describe

    config = get_preset(args.preset, backbone=args.backbone, image_size=args.image_size)
    print(json.dumps(describe(config, pretrained=args.pretrained), indent=1))
    return 0


def demo_data_command(args: argparse.Namespace) -> int:
    from ..data import write_demo_data

    out = write_demo_data(args.out, DemoSpec(size=args.size, seed=args.seed))
    print(f"demo data written to {out} (categories: brick, grass, gravel; real photographs, synthetic defects)")
    return 0


def prepare_command(args: argparse.Namespace) -> int:
    from ..data import prepare

    counts = prepare.PREPARERS[args.dataset](args.raw, args.out)
    print(json.dumps({"dataset": args.dataset, "out": str(args.out), "images": counts}, indent=1))
    return 0
