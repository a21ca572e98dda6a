"""The paper's tables, assembled from cached runs for whichever data sets are present.

Each builder returns rows keyed like ``paper_results.csv`` (table, dataset, category, method, metric) with the
reproduced value beside the paper's. A data set that is not under the notebook's ``data_dir`` yields its paper
rows with an empty reproduction and a note saying where the data was looked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..config import PAPER_NAMES, unified_settings
from ..data import DATASETS, MVTEC_TEXTURES, open_dataset
from ..scoring.evaluate import compute_metrics, evaluate, predict
from .describe import describe
from .tables import missing_rows, with_paper

if TYPE_CHECKING:
    from .notebook import Context

ROW = ("table", "dataset", "category", "method", "metric")


def _row(table: str, dataset: str, category: str, method: str, metric: str, value: float, note: str = "") -> dict:
    return dict(zip(ROW, (table, dataset, category, method, metric), strict=True), reproduced=value, note=note)


def table6_rows(runs: dict, note: str = "") -> pd.DataFrame:
    """Table 6's cells (MVTec AD columns: I-AUROC and AUPRO, last and best) from runs keyed by preset."""
    rows = [
        _row(
            "table6", "mvtec_ad", "all_avg", PAPER_NAMES[name], f"{m}_{which}", run.metrics[which].get(m, np.nan), note
        )
        for name, run in runs.items()
        for m in ("I-AUROC", "AUPRO")
        for which in ("last", "best")
    ]
    return pd.DataFrame(rows)


def _missing(ctx: Context, table: str, dataset: str, method: str, metrics: list[str]) -> pd.DataFrame:
    return missing_rows(table, dataset, method, metrics, f"not run: {dataset} not found at {ctx.data_dir / dataset}")


def _per_category(ctx: Context, dataset: str, root, seed: int | None = None) -> pd.DataFrame:
    runs = {
        c: ctx.run("ReContrast", c, dataset, root, **({"seed": seed} if seed is not None else {}))
        for c in DATASETS[dataset][1]
    }
    return pd.DataFrame({c: r.metrics["last"] for c, r in runs.items()}).T


def industrial_tables(ctx: Context) -> dict[str, pd.DataFrame]:
    """Tables 1, 2, A2 (MVTec AD) and 3, A3 (VisA), reproduced where the data is present."""
    out: dict[str, pd.DataFrame] = {}
    mvtec = ctx.data_present("mvtec_ad")
    if mvtec is None:
        out["table1_mvtec_detection"] = _missing(ctx, "table1", "mvtec_ad", "ReContrast", ["I-AUROC"])
        out["table2_mvtec_segmentation"] = _missing(ctx, "table2", "mvtec_ad", "ReContrast", ["P-AUROC", "AUPRO"])
        out["tableA2_mvtec_seeds"] = _missing(ctx, "tableA2", "mvtec_ad", "ReContrast", ["I-AUROC", "P-AUROC", "AUPRO"])
    else:
        per = _per_category(ctx, "mvtec_ad", mvtec)
        textures = per.loc[[c for c in per.index if c in MVTEC_TEXTURES]]
        objects = per.loc[[c for c in per.index if c not in MVTEC_TEXTURES]]
        rows = [_row("table1", "mvtec_ad", c, "ReContrast", "I-AUROC", v) for c, v in per["I-AUROC"].items()]
        for name, part in (("texture_avg", textures), ("object_avg", objects), ("all_avg", per)):
            rows.append(_row("table1", "mvtec_ad", name, "ReContrast", "I-AUROC", part["I-AUROC"].mean()))
        out["table1_mvtec_detection"] = with_paper(pd.DataFrame(rows))
        seg = [
            _row("table2", "mvtec_ad", name, "ReContrast", m, part[m].mean())
            for name, part in (("texture_avg", textures), ("object_avg", objects), ("all_avg", per))
            for m in ("P-AUROC", "AUPRO")
        ]
        out["table2_mvtec_segmentation"] = with_paper(pd.DataFrame(seg))
        seeds = [per if s == 111 else _per_category(ctx, "mvtec_ad", mvtec, seed=s) for s in (1, 11, 111)]
        stacked = pd.concat(seeds, keys=range(3))
        mean, std = stacked.groupby(level=1).mean(), stacked.groupby(level=1).std(ddof=0)
        out["tableA2_mvtec_seeds"] = with_paper(
            pd.DataFrame(
                [
                    _row(
                        "tableA2",
                        "mvtec_ad",
                        c,
                        "ReContrast",
                        m,
                        mean.loc[c, m],
                        f"std {std.loc[c, m]:.2f} over seeds 1, 11, 111",
                    )
                    for c in mean.index
                    for m in ("I-AUROC", "P-AUROC", "AUPRO")
                ]
            )
        )
    visa = ctx.data_present("visa")
    if visa is None:
        out["table3_visa"] = _missing(ctx, "table3", "visa", "ReContrast", ["I-AUROC", "P-AUROC", "AUPRO"])
        out["tableA3_visa_per_category"] = _missing(
            ctx, "tableA3", "visa", "ReContrast", ["I-AUROC", "P-AUROC", "AUPRO"]
        )
    else:
        per = _per_category(ctx, "visa", visa)
        out["table3_visa"] = with_paper(
            pd.DataFrame(
                [
                    _row("table3", "visa", "all_avg", "ReContrast", m, per[m].mean())
                    for m in ("I-AUROC", "P-AUROC", "AUPRO")
                ]
            )
        )
        out["tableA3_visa_per_category"] = with_paper(
            pd.DataFrame(
                [
                    _row("tableA3", "visa", c, "ReContrast", m, per.loc[c, m])
                    for c in per.index
                    for m in ("I-AUROC", "P-AUROC", "AUPRO")
                ]
            )
        )
    return out


def unified_run(ctx: Context, dataset: str | None = None) -> pd.DataFrame:
    """Table 4: one model trained on all categories of ``dataset`` (the official multi-class recipe), I-AUROC
    per category. On the demo profile the recipe runs on the demo categories at the profile's scale."""
    if dataset is None:
        dataset = ctx.dataset if ctx.profile.dataset == "demo" else "mvtec_ad"
    root = ctx.data_root if dataset == ctx.dataset else ctx.data_present(dataset)
    if root is None:
        return _missing(ctx, "table4", dataset, "ReContrast", ["I-AUROC"])
    categories = ctx.categories if dataset == ctx.dataset else DATASETS[dataset][1]
    config = unified_settings(ctx.config("ReContrast", categories[0], dataset=dataset))
    if ctx.profile.iterations is not None:  # demo/smoke: the profile's budget, with the recipe's switches
        config = config.replace(
            iterations=ctx.profile.iterations * len(categories),
            eval_every=ctx.profile.iterations * len(categories),
            batch_size=ctx.profile.batch_size,
            seed=ctx.seed,
        )
    size = dict(image_size=config.image_size, crop_size=config.crop_size)
    model = ctx.run(config, categories, dataset, root).model
    scores = {c: evaluate(model, open_dataset(dataset, root, c, "test", **size))["I-AUROC"] for c in categories}
    rows = [
        _row("table4", dataset, c, "ReContrast", "I-AUROC", v, "one model for all categories")
        for c, v in scores.items()
    ]
    rows.append(
        _row(
            "table4",
            dataset,
            "all_avg",
            "ReContrast",
            "I-AUROC",
            float(np.mean(list(scores.values()))),
            "one model for all categories",
        )
    )
    return with_paper(pd.DataFrame(rows))


def medical_table(ctx: Context) -> pd.DataFrame:
    """Table 5 (I-AUROC, F1, ACC) for APTOS, OCT2017 and ISIC2018, where present."""
    parts = []
    for dataset in ("aptos", "oct2017", "isic2018"):
        root = ctx.data_present(dataset)
        if root is None:
            parts.append(_missing(ctx, "table5", dataset, "ReContrast", ["I-AUROC", "F1", "ACC"]))
            continue
        run = ctx.run("ReContrast", dataset, dataset, root)
        c = run.config
        test = open_dataset(dataset, root, dataset, "test", c.image_size, c.crop_size)
        m = compute_metrics(predict(run.model, test), segmentation=False, f1=True)
        parts.append(
            with_paper(
                pd.DataFrame([_row("table5", dataset, "all", "ReContrast", k, m[k]) for k in ("I-AUROC", "F1", "ACC")])
            )
        )
    return pd.concat(parts, ignore_index=True)


def backbone_table(ctx: Context) -> pd.DataFrame:
    """Table A5: parameters and MACs of RD4AD (Config B) and ReContrast per backbone at 256 px (random
    weights suffice for counting), with the metrics of the backbones trained on this profile."""
    rows = []
    for backbone in ("resnet18", "resnet50", "wide_resnet50_2", "efficientnet_lite0"):
        for preset in ("B", "ReContrast"):
            d = describe(ctx.config(preset, backbone=backbone, image_size=256), pretrained=False)
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
    table = pd.DataFrame(rows)
    for preset, method in (("B", "RD4AD (Config B)"), ("ReContrast", "ReContrast")):
        run = ctx.run(preset)
        for m in ("I-AUROC", "P-AUROC", "AUPRO"):
            table.loc[
                (table.backbone == ctx.backbone) & (table.method == method), f"{m} ({ctx.dataset}/{ctx.category})"
            ] = run.metrics["last"][m]
    return table


def map_pairs_table(ctx: Context) -> pd.DataFrame:
    """Table A6: I-AUROC of S^map from the frozen pairs, the trained pairs, or all six (no retraining)."""
    test = ctx.test_set()
    run_b, run_r = ctx.run("B"), ctx.run("ReContrast")
    cases = {
        "Config.B [3 frozen]": (run_b, None),
        "ReContrast [3 frozen only]": (run_r, [0, 1, 2]),
        "ReContrast [3 trained only]": (run_r, [3, 4, 5]),
        "ReContrast [3 trained + 3 frozen]": (run_r, None),
    }
    note = f"reproduced on {ctx.dataset}/{ctx.category}; paper: MVTec AD average"
    rows = [
        _row(
            "tableA6",
            "mvtec_ad",
            "all_avg",
            name,
            "I-AUROC",
            compute_metrics(predict(run.model, test, pairs=pairs), segmentation=False)["I-AUROC"],
            note,
        )
        for name, (run, pairs) in cases.items()
    ]
    return with_paper(pd.DataFrame(rows))


def loco_table(ctx: Context) -> pd.DataFrame:
    """Table A7: structural and logical I-AUROC on MVTec LOCO, where present."""
    root = ctx.data_present("mvtec_loco")
    if root is None:
        return _missing(
            ctx, "tableA7", "mvtec_loco", "ReContrast", ["structural I-AUROC", "logical I-AUROC", "mean I-AUROC"]
        )
    scores = {"structural I-AUROC": [], "logical I-AUROC": []}
    for c in DATASETS["mvtec_loco"][1]:
        run = ctx.run("ReContrast", c, "mvtec_loco", root)
        cfg = run.config
        for metric, kind in (("structural I-AUROC", "structural_anomalies"), ("logical I-AUROC", "logical_anomalies")):
            test = open_dataset(
                "mvtec_loco", root, c, "test", cfg.image_size, cfg.crop_size, defect_types=("good", kind)
            )
            scores[metric].append(
                compute_metrics(predict(run.model, test, keep_maps=False), segmentation=False)["I-AUROC"]
            )
    means = {k: float(np.mean(v)) for k, v in scores.items()}
    means["mean I-AUROC"] = float(np.mean(list(means.values())))
    return with_paper(
        pd.DataFrame([_row("tableA7", "mvtec_loco", "all_avg", "ReContrast", k, v) for k, v in means.items()])
    )


def per_category_table(ctx: Context, presets: tuple[str, ...] = ("A", "B", "ReContrast")) -> pd.DataFrame:
    """Last-evaluation metrics and training cost of ``presets`` on every category of the notebook's data set."""
    rows = []
    for category in ctx.categories:
        for preset in presets:
            run = ctx.run(preset, category=category)
            rows.append(
                {
                    "category": category,
                    "preset": preset,
                    **{k: run.metrics["last"].get(k, np.nan) for k in ("I-AUROC", "P-AUROC", "AUPRO")},
                    "iterations": run.config.iterations,
                    "train_s_per_it": run.train_seconds_per_iteration,
                }
            )
    table = pd.DataFrame(rows)
    means = table.groupby("preset", sort=False)[["I-AUROC", "P-AUROC", "AUPRO", "train_s_per_it"]].mean().reset_index()
    return pd.concat([table, means.assign(category="mean", iterations=table.iterations.iloc[0])], ignore_index=True)
