"""Rounding must not decide a verdict: measure every claim of the demo profile with channels_last switched off
(another float rounding of the same computation) and compare with the verdicts of ``make reproduce``
(channels_last on, ``results/demo/claims.csv``). Writes ``rclib/paper/precomputed/claims_rounding.csv``
(shipped with the package: notebook 08 shows it).

    python benchmarks/claims_rounding.py     # after `make reproduce`; trains the claims' runs once more
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import torch

from rclib.paper.claims import measure
from rclib.paper.figures import apply_style
from rclib.paper.profiles import get_profile
from rclib.paper.study import Study

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    torch.set_num_threads(2)
    apply_style()
    demo = get_profile("demo")
    assert demo.overrides.get("channels_last"), "the demo profile is expected to train in channels_last"
    profile = dataclasses.replace(demo, overrides={**demo.overrides, "channels_last": False})
    study = Study.of(profile, data_dir=ROOT / "data", results=ROOT / "results" / "rounding" / "demo")
    observations = measure(study)
    off = pd.DataFrame([o.row() for o in observations])
    on = pd.read_csv(ROOT / "results" / "demo" / "claims.csv")
    both = on.merge(off, on="claim", suffixes=(" channels_last on", " channels_last off"))
    keep = ["claim", "paper channels_last on"] + [
        f"{c} channels_last {s}" for c in ("observed_mean", "verdict") for s in ("on", "off")
    ]
    table = both[keep].rename(columns={"paper channels_last on": "paper"})
    table["same verdict"] = table["verdict channels_last on"] == table["verdict channels_last off"]
    table.to_csv(ROOT / "rclib" / "paper" / "precomputed" / "claims_rounding.csv", index=False, float_format="%.4g")
    print(table.to_string(index=False))
    print(f"{int(table['same verdict'].sum())} of {len(table)} verdicts agree between the two roundings")


if __name__ == "__main__":
    main()
