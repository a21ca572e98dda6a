"""Choose the demo profile's settings by measurement, over seeds: which settings let the paper's claims show at
laptop scale, and which of them cannot.

Each candidate setting changes the demo data (test-set size, defect strength) or the training (encoder learning
rate, encoder BatchNorm mode, iterations) and measures the claims of :mod:`rclib.paper.claims` on its own runs
over three seeds. Runs are cached under ``results/search/`` (the search resumes where it stopped); the verdicts go
to ``rclib/paper/precomputed/demo_search.csv`` and the per-run metrics to ``demo_search_runs.csv`` beside it.

    python benchmarks/search_demo.py                 # every setting
    python benchmarks/search_demo.py --only lr3e-4   # one setting
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import pandas as pd
import torch

from rclib.data import DemoSpec
from rclib.data.demo import DEFECTS
from rclib.paper.claims import measure
from rclib.paper.figures import apply_style
from rclib.paper.profiles import default_data_root, get_profile
from rclib.paper.study import Study

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rclib" / "paper" / "precomputed"  # shipped with the package: notebooks 03, 06 and 08 show it
SEEDS = (1, 11, 111)
STORY = ("C1", "C2", "C3", "C4", "C6", "C7")  # C5 (the landscape) does not depend on these settings' data sizes
# 100 test images per category (50 normal, 50 defective), train crops from the top of each photo and test crops from
# the bottom, defects of equal brightness change on every texture
TEST100 = DemoSpec(n_test_good=50, n_per_defect=10, texture_gain=False, layout="strip")
TEST40 = dataclasses.replace(TEST100, n_test_good=20, n_per_defect=4)  # the first demo's test sets
TEXTURE = dataclasses.replace(TEST100, texture_gain=True)  # brightness changes scaled per texture
QUADRANTS = dataclasses.replace(TEXTURE, layout="quadrants")  # train and test crops from diagonal quarters

# name -> (changes to the demo profile, claims measured)
SETTINGS: dict[str, tuple[dict, tuple[str, ...]]] = {
    "test100": (dict(demo_spec=TEST100), STORY),
    "test100-it400": (dict(demo_spec=TEST100, iterations=400, eval_every=80), STORY),
    "test100-lr1e-4": (dict(demo_spec=TEST100, encoder_lr=1e-4), STORY),
    "test100-it800": (dict(demo_spec=TEST100, iterations=800, eval_every=160), ("C4",)),
    "test100-it1600": (dict(demo_spec=TEST100, iterations=1600, eval_every=320), ("C4",)),
    "test100-bn-eval": (dict(demo_spec=TEST100, overrides={"encoder_bn_train": False}), STORY),
    "test40": (dict(demo_spec=TEST40), STORY),
    "test100-contrast1.5": (dict(demo_spec=dataclasses.replace(TEST100, contrast=1.5)), ("C3",)),
    "test100-texture": (dict(demo_spec=TEXTURE), ("C3",)),
    "test100-quadrants": (dict(demo_spec=QUADRANTS), ("C3",)),
    "test100-quadrants-bn-eval": (dict(demo_spec=QUADRANTS, overrides={"encoder_bn_train": False}), ("C3",)),
}


def context(name: str, changes: dict) -> Study:
    demo = get_profile("demo")
    overrides = {**demo.overrides, **changes.pop("overrides", {})}
    profile = dataclasses.replace(demo, **changes, overrides=overrides)
    data_dir = ROOT / "results" / "search" / "data"
    spec = profile.demo_spec
    folder = f"test{spec.n_test_good + len(DEFECTS) * spec.n_per_defect}_contrast{spec.contrast:g}"
    folder += ("_texture" if spec.texture_gain else "") + ("_quadrants" if spec.layout == "quadrants" else "")
    root = default_data_root(dataclasses.replace(profile, name=folder), "demo", data_dir)
    return Study(
        profile=profile,
        dataset="demo",
        data_root=root,
        categories=profile.categories,
        backbone=profile.backbone,
        results=ROOT / "results" / "search" / name,
        data_dir=data_dir,
        seeds=SEEDS,
    )


def run_rows(name: str, ctx: Study) -> list[dict]:
    rows = []
    for run_dir in sorted((ctx.results / "runs").glob("*")):
        metrics = pd.read_json(run_dir / "metrics.json", typ="series") if (run_dir / "metrics.json").exists() else None
        if metrics is None:
            continue
        config = metrics["config"]
        rows.append(
            {
                "setting": name,
                "preset": config["name"],
                "category": metrics["category"],
                "seed": config["seed"],
                "alpha_end": config["alpha_end"],
                **{k: metrics["last"].get(k) for k in ("I-AUROC", "P-AUROC", "AUPRO")},
                "seconds": metrics["seconds"],
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="settings to run (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    apply_style()
    verdicts, runs = [], []
    for name, (changes, claims) in SETTINGS.items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        ctx = context(name, dict(changes))
        for obs in measure(ctx, *claims):
            verdicts.append({"setting": name, **obs.row(), "values": " ".join(f"{v:.4g}" for v in obs.values)})
            print(
                f"{name:<16} {obs.claim:<4} {obs.verdict:<15} {obs.mean:8.3f} +- {obs.std:.3f}  {obs.paper}", flush=True
            )
        runs += run_rows(name, ctx)
        print(f"{name}: {time.perf_counter() - t0:.0f} s", flush=True)
        merge(OUT / "demo_search.csv", pd.DataFrame(verdicts), ["setting", "claim"])
        merge(OUT / "demo_search_runs.csv", pd.DataFrame(runs), ["setting", "preset", "category", "seed", "alpha_end"])


def merge(path: Path, new: pd.DataFrame, keys: list[str]) -> None:
    """Replace the rows of ``path`` that ``new`` measures again; keep the others."""
    if path.exists():
        old = pd.read_csv(path, dtype={"notebook": str})
        old = old[~old.set_index(keys).index.isin(new.set_index(keys).index)]
        new = pd.concat([old, new], ignore_index=True)
    new.to_csv(path, index=False, float_format="%.4g")


if __name__ == "__main__":
    main()
