"""Which speed switches change what training computes: train each configuration a few iterations as the demo profile
does, and again with one switch flipped at a time, and compare the losses and the final weights bit for bit. A switch
whose runs are bit-identical cannot move a verdict; one that changes float rounding can, as much as any other rounding
of the same computation (``claims_rounding.py`` measures whether it does), and the demo does not adopt it.

    python benchmarks/switch_identity.py                  # A, B and ReContrast, 20 iterations each
    python benchmarks/switch_identity.py --presets A B C D E ReContrast --iterations 50

Writes ``benchmarks/results/switch_identity.csv``: one row per configuration and flipped switch.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pandas as pd
import torch

from rclib.config import ReContrastConfig
from rclib.paper.profiles import get_profile
from rclib.paper.study import Study
from rclib.runs.training import train

ROOT = Path(__file__).resolve().parent.parent
SWITCHES = ("channels_last", "cache_frozen_features", "fused_optimizer")  # the CPU switches that may change rounding


def trained(study: Study, preset: str, iterations: int, **switches: bool) -> tuple[list[float], dict]:
    """The losses of a short run of ``preset`` and its final weights and buffers."""
    config = study.config(preset, iterations=iterations, eval_every=iterations, **switches)
    run = train(config, study.train_set(), progress=False)
    return run.steps["loss"].tolist(), {k: v.detach().clone() for k, v in run.model.state_dict().items()}


def compare(reference: tuple[list[float], dict], other: tuple[list[float], dict]) -> dict:
    """Bit-identity, the first iteration whose loss differs, and the largest relative change of a weight tensor."""
    (loss_a, w_a), (loss_b, w_b) = reference, other
    floats = [k for k in w_a if w_a[k].is_floating_point() and w_a[k].norm() > 0]
    return {
        "bit_identical": loss_a == loss_b and all(torch.equal(w_a[k], w_b[k]) for k in w_a),
        "first_loss_that_differs": next(
            (i for i, (a, b) in enumerate(zip(loss_a, loss_b, strict=True)) if a != b), None
        ),
        "largest_loss_gap": max(abs(a - b) for a, b in zip(loss_a, loss_b, strict=True)),
        "largest_relative_weight_change": max(float((w_a[k] - w_b[k]).norm() / w_a[k].norm()) for k in floats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="+", default=["A", "B", "ReContrast"])
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(2)
    demo = get_profile("demo")
    study = Study.of(demo, data_dir=ROOT / "data", results=ROOT / "results" / "switch_identity")
    adopted = {k: bool(demo.overrides.get(k, getattr(ReContrastConfig(), k))) for k in SWITCHES}
    rows = []
    for preset in args.presets:
        reference = trained(study, preset, args.iterations)
        for switch, value in adopted.items():
            flipped = trained(study, preset, args.iterations, **{switch: not value})
            rows.append({"preset": preset, "switch": switch, "demo_adopts": value, **compare(reference, flipped)})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table["iterations"] = args.iterations
    table["threads"] = torch.get_num_threads()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    table["commit"] = commit.stdout.strip()
    table["command"] = " ".join(
        ["python benchmarks/switch_identity.py --presets", *args.presets, "--iterations", str(args.iterations)]
    )
    out = ROOT / "benchmarks" / "results" / "switch_identity.csv"
    table.to_csv(out, index=False, float_format="%.4g")
    print(table.drop(columns=["command", "commit"]).to_string(index=False))


if __name__ == "__main__":
    main()
