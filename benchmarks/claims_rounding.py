"""Rounding must not decide a verdict: measure every claim of the demo profile again with every speed switch the
demo adopts switched off, and compare with the verdicts of ``make reproduce`` (``results/demo/claims.csv``). The
switches checked are those that change float rounding or may (channels_last, AdamW's fused kernel and bf16 do; the
frozen-feature cache computes the same bits on the CPUs measured, but another backend may round a batch differently).
Writes ``rclib/paper/precomputed/claims_rounding.csv`` (shipped with the package: notebook 08 shows it) and the
switched-off side on its own, with its switches, command and commit, as ``benchmarks/results/claims_switches_off.csv``.

    python benchmarks/claims_rounding.py     # after `make reproduce`; trains the claims' runs once more
    python benchmarks/claims_rounding.py --only cache_frozen_features   # some adopted switches off, not all
    python benchmarks/claims_rounding.py --off-claims benchmarks/results/claims_switches_off.csv   # trains nothing

``--off-claims`` reads the switched-off side from that file as an earlier run wrote it, after checking that it was
measured with every switch of ``ROUNDING`` off: a demo that has since stopped adopting a switch is compared with the
run that had it off already.

The table names the switches it turned off (``switched off``) and the command that wrote it.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
from pathlib import Path

import pandas as pd
import torch

from rclib.config import ReContrastConfig
from rclib.paper.claims import measure
from rclib.paper.figures import apply_style
from rclib.paper.profiles import get_profile
from rclib.paper.study import Study

ROOT = Path(__file__).resolve().parent.parent
# the switches that change float rounding (or may, on another backend), and their value when switched off
ROUNDING = {"channels_last": False, "cache_frozen_features": False, "fused_optimizer": False, "amp": "none"}


def switches_of(overrides: dict) -> str:
    """``ROUNDING``'s switches as ``overrides`` set them (the configuration's defaults otherwise), as one string."""
    return " ".join(f"{k}={overrides.get(k, getattr(ReContrastConfig(), k))}" for k in ROUNDING)


def measured_off(path: Path, parser: argparse.ArgumentParser) -> pd.DataFrame:
    """The claims of ``path``, checked to have been measured with every switch of ``ROUNDING`` off."""
    off = pd.read_csv(path)
    want = switches_of(ROUNDING)
    if off["switches"].nunique() != 1 or off["switches"].iloc[0] != want:
        parser.error(f"--off-claims {path}: measured with {sorted(set(off['switches']))}, this check needs {want}")
    return off


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(ROUNDING), help="switch off only these (default: all)")
    parser.add_argument("--off-claims", type=Path, help="the switched-off claims from this table instead of training")
    args = parser.parse_args()
    torch.set_num_threads(2)
    apply_style()
    demo = get_profile("demo")
    adopted = {k: v for k, v in ROUNDING.items() if demo.overrides.get(k, getattr(ReContrastConfig(), k)) != v}
    assert adopted, "the demo profile adopts no rounding switch: nothing to compare"
    if args.only:
        unadopted = sorted(set(args.only) - set(adopted))
        if unadopted:
            parser.error(f"--only {' '.join(unadopted)}: the demo does not adopt it; adopted: {', '.join(adopted)}")
        adopted = {k: adopted[k] for k in args.only}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    commit = commit.stdout.strip()
    if args.off_claims:
        if args.only:
            parser.error("--off-claims compares with every switch off: leave out --only")
        off = measured_off(args.off_claims, parser)
    else:
        folder = "rounding" if not args.only else "rounding-" + "-".join(sorted(adopted))
        profile = dataclasses.replace(demo, overrides={**demo.overrides, **adopted})
        study = Study.of(profile, data_dir=ROOT / "data", results=ROOT / "results" / folder / "demo")
        off = pd.DataFrame([o.row() for o in measure(study)])
        off["switches"] = switches_of(profile.overrides)
        off["command"] = " ".join(
            ["python benchmarks/claims_rounding.py", *(["--only", *args.only] if args.only else [])]
        )
        off["commit"] = commit
        if not args.only:
            off.to_csv(ROOT / "benchmarks" / "results" / "claims_switches_off.csv", index=False, float_format="%.4g")
    on = pd.read_csv(ROOT / "results" / "demo" / "claims.csv")
    both = on.merge(off, on="claim", suffixes=(" on", " off"))
    keep = ["claim", "paper on"] + [
        f"{c} {s}" for c in ("observed_mean", "ci_low", "ci_high", "verdict") for s in ("on", "off")
    ]
    table = both[keep].rename(columns={"paper on": "paper"})
    table["same verdict"] = table["verdict on"] == table["verdict off"]
    table["switched off"] = " ".join(f"{k}={v}" for k, v in adopted.items())
    table["command"] = " ".join(
        [
            "python benchmarks/claims_rounding.py",
            *(["--only", *args.only] if args.only else []),
            *(["--off-claims", args.off_claims.resolve().relative_to(ROOT).as_posix()] if args.off_claims else []),
        ]
    )
    table["commit"] = commit
    if args.off_claims:
        table["off measured at"] = f"{off['commit'].iloc[0]} by {off['command'].iloc[0]}"
    out = ROOT / "rclib" / "paper" / "precomputed" / "claims_rounding.csv"
    table.to_csv(out, index=False, float_format="%.4g")
    print(table.drop(columns=["paper", "command", "commit"]).to_string(index=False))
    print(f"{int(table['same verdict'].sum())} of {len(table)} verdicts agree with {table['switched off'].iloc[0]}")


if __name__ == "__main__":
    main()
