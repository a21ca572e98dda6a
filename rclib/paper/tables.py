"""Saving tables: CSV for machines, Markdown for people; a data set that was not run leaves its one line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


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
