"""``rclib train``: one preset on one category (or your own folder, with its folders named by flags)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..config import PRESETS, get_preset, paper_settings
from ..data import DATASETS, DataError, FolderLayout
from .options import add_progress, add_set, add_switch, fraction, overrides


def add(sub: argparse._SubParsersAction) -> None:
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
    add_set(p, "change configuration fields of the run, e.g. --set iterations=500 backbone=resnet18")
    add_switch(
        p,
        "--pretrained",
        True,
        "ImageNet encoder weights (default); --no-pretrained: random weights (recorded in metrics.json)",
    )
    add_switch(p, "--resume", False, "continue --out's checkpoint of the same configuration (default: no)")
    add_progress(p)
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


def train_command(args: argparse.Namespace) -> int:
    from ..runs import fit

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
