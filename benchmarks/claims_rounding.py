"""Rounding must not decide a verdict: measure every claim of the demo profile with channels_last switched off
(another float rounding of the same computation) and compare with the verdicts of ``make reproduce``
(channels_last on, ``results/demo/claims.csv``). Writes ``benchmarks/results/claims_rounding.csv``.

    python benchmarks/claims_rounding.py     # after `make reproduce`; trains the claims' runs once more
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import torch

from rclib.paper.claims import NOTEBOOK, measure
from rclib.paper.notebook import Context
from rclib.paper.plots import apply_style
from rclib.paper.profiles import default_data_root, get_profile

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    torch.set_num_threads(2)
    apply_style()
    demo = get_profile("demo")
    assert demo.overrides.get("channels_last"), "the demo profile is expected to train in channels_last"
    profile = dataclasses.replace(demo, overrides={**demo.overrides, "channels_last": False})
    data_dir = ROOT / "data"
    results = ROOT / "results" / "rounding" / "demo"
    root = default_data_root(profile, "demo", data_dir)
    observations = [
        o
        for claim, notebook in NOTEBOOK.items()
        for o in measure(Context.for_profile(profile, root, results, data_dir, notebook), claim)
    ]
    off = pd.DataFrame([o.row() for o in observations])
    on = pd.read_csv(ROOT / "results" / "demo" / "claims.csv")
    both = on.merge(off, on="claim", suffixes=(" channels_last on", " channels_last off"))
    keep = ["claim", "paper channels_last on"] + [
        f"{c} channels_last {s}" for c in ("observed_mean", "verdict") for s in ("on", "off")
    ]
    table = both[keep].rename(columns={"paper channels_last on": "paper"})
    table["same verdict"] = table["verdict channels_last on"] == table["verdict channels_last off"]
    table.to_csv(ROOT / "benchmarks" / "results" / "claims_rounding.csv", index=False, float_format="%.4g")
    print(table.to_string(index=False))
    print(f"{int(table['same verdict'].sum())} of {len(table)} verdicts agree between the two roundings")


if __name__ == "__main__":
    main()
