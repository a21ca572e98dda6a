"""Choose the demo data's defect strength per category, and its test-set size, from Config B's runs alone.

ReContrast is never trained here: the data is fixed before the claims that compare ReContrast with B are measured.
For each category, Config B (its encoder frozen, the control of every comparison) is trained with the plan's story
seeds on the category's training images, which do not depend on the defect strength (they are drawn before any
test image), and scored on the test set written at each candidate strength. At every strength the script measures
the test set's sampling error: a paired bootstrap of the test images for the difference of two B runs (two seeds,
the same images) and one run's own bootstrap error. The strength whose mean I-AUROC over the seeds lies closest to
``--target`` is chosen among those whose paired error is at most ``--max-se`` (1 point), so that B is neither at
the ceiling nor near chance, a difference either way can show, and the test set does not drown it. (The cap was
added after brick's rows, B's alone, were seen: there the strength nearest the target had a paired error above a
point.)

    python benchmarks/calibrate_demo.py            # writes rclib/paper/precomputed/demo_calibration.csv

The chosen strengths and the test-set size are copied into the analysis plan (``rclib.paper.plan.DEMO_DATA``);
``tests/test_plan.py`` checks that they match this file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Subset

from rclib import fit
from rclib.data import DEMO_CATEGORIES, DemoSpec, write_demo_data
from rclib.paper.plan import seed_plan
from rclib.paper.profiles import get_profile, profile_config
from rclib.paper.stats import auroc_differences, bootstrap_indices
from rclib.runs import RunSpec, open_split
from rclib.scoring.evaluate import per_image, predict

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "rclib" / "paper" / "precomputed" / "demo_calibration.csv"
WORK = ROOT / "results" / "calibration"
STRENGTHS = (0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0)  # steps of sqrt(2)


def scores_on(model, config, root: Path, category: str, *, labels: tuple[int, ...]) -> pd.DataFrame:
    """S^img of the test images of ``category`` under ``root`` whose label is in ``labels``."""
    test = open_split(RunSpec(config, "demo", root, category), "test")
    keep = [i for i, label in enumerate(test.labels) if label in labels]
    return per_image(predict(model, Subset(test, keep), keep_maps=False))


def written(out: Path, spec: DemoSpec, category: str) -> Path:
    """The demo data of ``spec`` for ``category`` in ``out``, written unless it is there already."""
    meta = out / "demo_spec.json"
    if meta.exists() and json.loads(meta.read_text())["spec"] == json.loads(json.dumps(dataclasses.asdict(spec))):
        return out
    return write_demo_data(out, spec, (category,))


def auroc(table: pd.DataFrame) -> float:
    labels = table.label.to_numpy()
    every = np.arange(len(labels))[None, :]
    return float(auroc_differences(table.score.to_numpy()[None, :], labels, every)[0, 0])


def paired_errors(tables: list[pd.DataFrame]) -> tuple[float, float]:
    """(paired bootstrap error of the I-AUROC difference of the first two runs, the first run's own error)."""
    labels = tables[0].label.to_numpy()
    idx = bootstrap_indices(labels, 1000)
    a = auroc_differences(tables[0].score.to_numpy()[None, :], labels, idx)[:, 0]
    b = auroc_differences(tables[1].score.to_numpy()[None, :], labels, idx)[:, 0]
    return float((a - b).std(ddof=1)), float(a.std(ddof=1))


def choose(table: pd.DataFrame, target: float, max_se: float) -> pd.DataFrame:
    """Mark, per category, the strength whose mean B I-AUROC is closest to ``target`` among those whose paired
    test-sampling error is at most ``max_se`` (all strengths when none is)."""
    table = table.copy()
    table["distance to target"] = (table["B I-AUROC mean"] - target).abs()
    table["se within cap"] = table["paired bootstrap se"] <= max_se
    chosen = []
    for _, rows in table.groupby("category", sort=False):
        eligible = rows[rows["se within cap"]] if rows["se within cap"].any() else rows
        chosen.append(eligible["distance to target"].idxmin())
    table["chosen"] = table.index.isin(chosen)
    table["target"] = target
    table["se cap"] = max_se
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=85.0, help="Config B's I-AUROC to aim for (points)")
    parser.add_argument("--max-se", type=float, default=1.0, help="largest paired test-sampling error (points)")
    parser.add_argument("--normal", type=int, default=500, help="normal test images per category")
    parser.add_argument("--per-defect", type=int, default=100, help="test images per defect kind (five kinds)")
    parser.add_argument("--categories", nargs="*", default=list(DEMO_CATEGORIES))
    parser.add_argument("--resume", action="store_true", help="keep the categories already in the results file")
    args = parser.parse_args()
    torch.set_num_threads(2)
    demo = get_profile("demo")
    seeds = seed_plan("demo").story_seeds()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    done = pd.read_csv(OUT) if OUT.exists() and args.resume else pd.DataFrame(columns=["category"])
    rows = [r for r in done.to_dict("records")]
    for category in [c for c in args.categories if c not in set(done.category)]:
        t0 = time.perf_counter()
        base = DemoSpec(n_test_good=args.normal, n_per_defect=args.per_defect)
        roots = {
            s: write_demo_data(
                WORK / f"{category}_s{s:g}", dataclasses.replace(base, strength=((category, s),)), (category,)
            )
            for s in STRENGTHS
        }
        tables: dict[float, list[pd.DataFrame]] = {s: [] for s in STRENGTHS}
        for seed in seeds:
            config = profile_config(demo, "B", "demo", category, seed=seed, device="cpu")
            config = config.replace(eval_every=config.iterations)  # one evaluation: it does not change training
            run = fit(config, roots[1.0], category, dataset="demo", progress=False)
            # the normal test images are the same at every strength (drawn before the defects): scored once
            normal = scores_on(run.model, config, roots[1.0], category, labels=(0,))
            for s, root in roots.items():
                tables[s].append(pd.concat([normal, scores_on(run.model, config, root, category, labels=(1,))]))
        for s in STRENGTHS:
            values = [auroc(t) for t in tables[s]]
            paired, own = paired_errors(tables[s])
            rows.append(
                {
                    "category": category,
                    "strength": s,
                    "B I-AUROC mean": float(np.mean(values)),
                    "B I-AUROC std": float(np.std(values, ddof=1)),
                    "seeds": len(values),
                    "test images": len(tables[s][0]),
                    "paired bootstrap se": paired,
                    "one run bootstrap se": own,
                }
            )
        pd.DataFrame(rows).to_csv(OUT, index=False, float_format="%.4g")  # what is done survives a stop
        print(f"{category}: {time.perf_counter() - t0:.0f} s", flush=True)
    table = choose(pd.DataFrame(rows), args.target, args.max_se)
    table["command"] = "python benchmarks/calibrate_demo.py"
    table["commit"] = commit.strip()
    table.to_csv(OUT, index=False, float_format="%.4g")
    print(table.drop(columns=["command", "commit"]).round(3).to_string(index=False))
    print(f"written {OUT}")


if __name__ == "__main__":
    main()
