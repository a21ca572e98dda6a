"""Tables: reproduced values beside the paper's (:func:`rclib.paper.reference.paper_results`), saved as CSV and
Markdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .reference import paper_results

KEYS = ["table", "dataset", "category", "method", "metric"]


def with_paper(reproduced: pd.DataFrame) -> pd.DataFrame:
    """Add the paper's value and the difference to rows keyed by table, dataset, category, method, metric.

    ``reproduced`` needs the key columns and ``reproduced`` (NaN where nothing was run); a ``note`` column
    is kept. Rows the paper does not report get ``paper = NaN``.
    """
    paper = paper_results()[KEYS + ["value"]].rename(columns={"value": "paper"})
    out = reproduced.merge(paper, on=KEYS, how="left")
    out["delta"] = (out["reproduced"] - out["paper"]).round(2)
    out["reproduced"] = out["reproduced"].round(2)
    if "note" not in out:
        out["note"] = ""
    out["note"] = out["note"].fillna("")
    out.loc[out["reproduced"].isna() & (out["note"] == ""), "note"] = "not run"
    return out[KEYS + ["paper", "reproduced", "delta", "note"]]


def missing_rows(table: str, dataset: str, method: str, metrics: list[str], reason: str) -> pd.DataFrame:
    """Rows of a table for a data set that was not run: the paper's cells with an empty reproduction."""
    paper = paper_results()
    rows = paper[
        (paper.table == table) & (paper.dataset == dataset) & (paper.method == method) & (paper.metric.isin(metrics))
    ]
    return pd.DataFrame({**{k: rows[k].values for k in KEYS}, "reproduced": np.nan, "note": reason})


def save_table(df: pd.DataFrame, name: str, out_dir: str | Path) -> list[Path]:
    """Write ``<out_dir>/<name>.csv`` and ``<name>.md`` (a Markdown rendering via tabulate)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out_dir / f"{name}.csv", out_dir / f"{name}.md"
    df.to_csv(csv_path, index=False)
    md_path.write_text(df.to_markdown(index=False, floatfmt=".2f", missingval="—") + "\n")
    return [csv_path, md_path]
