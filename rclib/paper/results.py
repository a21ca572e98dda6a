"""Precomputed results shipped inside the package (``rclib/paper/precomputed/*.csv``): what each holds, and the
command that regenerates it. Notebooks read them with :func:`precomputed`, never from the repository's folders,
so they work after ``pip install``."""

from __future__ import annotations

from importlib import resources

import pandas as pd

SOURCES = {
    "demo_search": "python benchmarks/search_demo.py (the settings search of the demo profile; one row per "
    "setting and claim)",
    "demo_search_runs": "python benchmarks/search_demo.py (every run of the settings search)",
    "claims_rounding": "python benchmarks/claims_rounding.py (every claim again with the demo's speed switches off)",
    "notebook_times": "python benchmarks/bench_reproduce.py --record (minutes per notebook, cold, on a fresh clone)",
    "budget_study": "make study (rclib study --profile demo): C3a, C3b and C4 after 200-1,600 iterations at two "
    "encoder learning rates, over the plan's seeds",
    "demo_calibration": "python benchmarks/calibrate_demo.py (Config B alone: the defect strength per category and "
    "the test set's sampling error)",
    "plan_pilot": "the demo's claims at commit 08221b2 (100 test images per category; 3 or 5 seeds), kept as the "
    "pilot the analysis plan's seed counts are computed from (rclib.paper.plan.power_table)",
}


def is_precomputed(name: str) -> bool:
    """Whether the shipped result ``name`` is there (a study not run yet is not)."""
    return resources.files(__package__).joinpath("precomputed", f"{name}.csv").is_file()


def precomputed(name: str) -> pd.DataFrame:
    """The shipped result ``name`` (one of :data:`SOURCES`)."""
    if name not in SOURCES:
        raise ValueError(f"unknown precomputed result {name!r}; shipped: {', '.join(SOURCES)}")
    folder = resources.files(__package__).joinpath("precomputed")
    with folder.joinpath(f"{name}.csv").open("r", encoding="utf-8") as f:
        return pd.read_csv(f, dtype={"notebook": str})


def source(name: str) -> str:
    """The command that regenerates ``name``, for a figure's or table's caption."""
    return SOURCES[name]


def provenance(name: str) -> str:
    """One line: what ``name`` holds and the command and commit that wrote it (where the table records them)."""
    table = precomputed(name)
    made = ""
    if {"command", "commit"} <= set(table.columns):
        made = f"; written by `{table.command.iloc[0]}` at commit {table.commit.iloc[0]}"
    return f"precomputed: {SOURCES[name]}{made}"
