"""The story's tables, assembled from a study's cached runs over seeds, and how tables are saved.

Every reproduced number is a mean over seeds with its standard deviation and the number of seeds. A row is
labelled with the data it was measured on (``demo/brick``, ``mvtec_ad average``); the paper's value stands beside
it with the data set it was measured on, and a difference is computed only between the same data set. The
tables of the paper's own data sets (Tables 1-5, A2, A3, A7) are in :mod:`rclib.paper.benchmark_tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import PAPER_NAMES
from ..runs.run import Run
from ..scoring.evaluate import compute_metrics, predict
from .complexity import describe
from .plan import alpha_values
from .reference import paper_value
from .study import Study

METRICS = ("I-AUROC", "P-AUROC", "AUPRO")
PAPER_DATA = {"mvtec_ad": "MVTec AD", "visa": "VisA", "mvtec_loco": "MVTec LOCO"}


def save_table(table: pd.DataFrame | str, name: str, out_dir: str | Path) -> list[Path]:
    """Write ``<out_dir>/<name>.csv`` and ``<name>.md`` (Markdown via tabulate); a "not run" line (a string)
    is written as ``<name>.md`` alone. Returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path = out_dir / f"{name}.md"
    if isinstance(table, str):
        md_path.write_text(table + "\n")
        return [md_path]
    csv_path = out_dir / f"{name}.csv"
    table.to_csv(csv_path, index=False)
    md_path.write_text(table.to_markdown(index=False, floatfmt=".2f", missingval="—") + "\n")
    return [csv_path, md_path]


def mean_std(values: Sequence[float]) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else float("nan"), "n": int(v.size)}


def seed_values(runs_per_category: Sequence[Sequence[Run]], metric: str, which: str = "last") -> list[float]:
    """Per seed: ``metric`` averaged over categories (``runs_per_category[c][s]``)."""
    return list(np.mean([[r.metrics[which].get(metric, np.nan) for r in runs] for runs in runs_per_category], axis=0))


def data_label(dataset: str, categories: Sequence[str]) -> str:
    return f"{dataset}/{categories[0]}" if len(categories) == 1 else f"{dataset} average of {len(categories)}"


def summary(
    study: Study,
    presets: Sequence[str],
    *,
    metrics: Sequence[str] = METRICS,
    categories: Sequence[str] | None = None,
    which: str = "last",
    seeds: tuple[int, ...] | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Per preset: each metric's mean and std over ``seeds`` (default: the story's), averaged over
    ``categories`` first (default: the story's category), on the study's data."""
    cats = tuple(categories or (study.category,))
    rows = []
    for preset in presets:
        runs = [study.runs(preset, seeds=seeds, category=c, **overrides) for c in cats]
        row: dict[str, Any] = {"config": preset, "data": data_label(study.dataset, cats)}
        for m in metrics:
            s = mean_std(seed_values(runs, m, which))
            row[f"{m} mean"], row[f"{m} std"] = s["mean"], s["std"]
        row["seeds"] = len(runs[0])
        rows.append(row)
    return pd.DataFrame(rows)


def with_paper_column(
    table: pd.DataFrame, table_id: str, *, metric_names: dict[str, str], dataset: str, category: str = "all_avg"
) -> pd.DataFrame:
    """Add the paper's value of each metric (``metric_names``: our column -> the paper's metric) beside the
    reproduction, labelled with the paper's data set; a difference only when the data sets are the same."""
    out = table.copy()
    where = PAPER_DATA.get(dataset, dataset)
    for ours, theirs in metric_names.items():
        column = f"{ours} paper ({where} average)"
        out[column] = [
            paper_value(table_id, dataset, category, method=PAPER_NAMES.get(c, c), metric=theirs) for c in out.config
        ]
        if out["data"].str.startswith(f"{dataset} ").all() or out["data"].str.startswith(f"{dataset}/").all():
            if dataset in PAPER_DATA:
                out[f"{ours} difference"] = out[f"{ours} mean"] - out[column]
    return out


def table6(study: Study) -> pd.DataFrame:
    """Table 6: the nine configurations, I-AUROC and AUPRO at the last and the best evaluation (best: chosen on
    the test set, an oracle), mean and std over the story's seeds, with the paper's MVTec AD averages."""
    cats = study.categories if study.dataset == "mvtec_ad" else (study.category,)
    options = dict(metrics=("I-AUROC", "AUPRO"), categories=cats)
    last = summary(study, list(PAPER_NAMES), which="last", **options)
    best = summary(study, list(PAPER_NAMES), which="best", **options)
    best = best.rename(columns={c: c.replace(" ", " best ", 1) for c in best.columns if c.endswith(("mean", "std"))})
    table = last.merge(best.drop(columns=["data", "seeds"]), on="config")
    names = {
        "I-AUROC": "I-AUROC_last",
        "AUPRO": "AUPRO_last",
        "I-AUROC best": "I-AUROC_best",
        "AUPRO best": "AUPRO_best",
    }
    return with_paper_column(table, "table6", metric_names=names, dataset="mvtec_ad")


def per_category_table(
    study: Study, presets: Sequence[str] = ("A", "B", "ReContrast"), seeds: tuple[int, ...] | None = None
) -> pd.DataFrame:
    """Every category of the study's data set (and their average, when there are several): each preset's
    metrics, mean and std over ``seeds``, and its training cost per iteration (evaluation excluded)."""
    rows = []
    for category in (*study.categories, None) if len(study.categories) > 1 else study.categories:
        part = summary(study, presets, categories=[category] if category else study.categories, seeds=seeds)
        cats = [category] if category else study.categories
        cost = [
            np.mean([r.train_seconds_per_iteration for c in cats for r in study.runs(p, seeds=seeds, category=c)])
            for p in presets
        ]
        rows.append(part.assign(train_s_per_it=cost))
    return pd.concat(rows, ignore_index=True)


def backbone_table(study: Study) -> pd.DataFrame:
    """Table A5: parameters and MACs of RD4AD (Config B) and ReContrast per backbone at 256 px (random weights
    suffice for counting), beside the paper's counts."""
    rows = []
    for backbone in ("resnet18", "resnet50", "wide_resnet50_2", "efficientnet_lite0"):
        for preset in ("B", "ReContrast"):
            d = describe(study.config(preset, backbone=backbone, image_size=256), pretrained=False)
            rows.append(
                {
                    "backbone": backbone,
                    "method": "RD4AD (Config B)" if preset == "B" else "ReContrast",
                    "params_M": d["params_total_M"],
                    "params_official_count_M": d["params_official_count_M"],
                    "params_paper_M": d["params_paper_M"],
                    "MACs_G": d["macs_G"],
                    "MACs_paper_G": d["macs_paper_G"],
                }
            )
    return pd.DataFrame(rows)


def _pairs_auroc(run: Run, test, pairs: list[int] | None) -> float:
    """I-AUROC of S^map from ``pairs``; from all of them it is the run's own last evaluation (the same
    computation on the same weights), so only a subset is scored again."""
    if pairs is None:
        return float(run.metrics["last"]["I-AUROC"])
    return compute_metrics(predict(run.model, test, pairs=pairs, keep_maps=False), segmentation=False)["I-AUROC"]


def map_pairs_table(
    study: Study, categories: Sequence[str] | None = None, seeds: tuple[int, ...] | None = None
) -> pd.DataFrame:
    """Table A6: I-AUROC of S^map from the frozen pairs, the trained pairs, or all six (no retraining), mean and
    std over ``seeds`` on each of ``categories`` (default: the story's category), beside the paper's MVTec AD
    averages."""
    cases = {
        "Config.B [3 frozen]": ("B", None),
        "ReContrast [3 frozen only]": ("ReContrast", [0, 1, 2]),
        "ReContrast [3 trained only]": ("ReContrast", [3, 4, 5]),
        "ReContrast [3 trained + 3 frozen]": ("ReContrast", None),
    }
    rows = []
    for category in categories or [study.category]:
        test = study.test_set(category)
        for name, (preset, pairs) in cases.items():
            values = [_pairs_auroc(r, test, pairs) for r in study.runs(preset, seeds=seeds, category=category)]
            rows.append(
                {
                    "S^map from": name,
                    "data": data_label(study.dataset, [category]),
                    **mean_std(values),
                    "paper (MVTec AD average)": paper_value(
                        "tableA6", "mvtec_ad", "all_avg", method=name, metric="I-AUROC"
                    ),
                }
            )
    return pd.DataFrame(rows)


def alpha_table(study: Study, seeds: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Table A4: ReContrast at each discard rate alpha of Eq. 5 (alpha = -inf is Config E: no mining), mean and
    std over ``seeds`` on the story's category, beside the paper's MVTec AD averages."""
    variants = {
        "-inf": ("E", {}),
        **{f"{a:g}": ("ReContrast", {"alpha_end": a}) for a in sorted((*alpha_values(study.profile.name), 1.0))},
    }
    rows = []
    for name, (preset, overrides) in variants.items():
        for metric in METRICS:
            values = [r.metrics["last"][metric] for r in study.runs(preset, seeds=seeds, **overrides)]
            rows.append(
                {
                    "alpha": name,
                    "metric": metric,
                    "data": data_label(study.dataset, [study.category]),
                    **mean_std(values),
                    "paper (MVTec AD average)": paper_value(
                        "tableA4", "mvtec_ad", "all_avg", method=f"ReContrast alpha={name}", metric=metric
                    ),
                }
            )
    return pd.DataFrame(rows)
