"""The data and the runs the plan fixes besides the claims: the demo's test set and defect strengths (chosen on
Config B's runs alone), Table A4's alpha values, and the runs each table needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...config import PRESETS
from ...data import DemoSpec
from .claims import ALPHAS


def alpha_values(profile: str) -> tuple[float, ...]:
    """Table A4's alpha values trained besides -inf (Config E) and 1 (ReContrast) on ``profile``: all of the
    paper's on the GPU, the two that C7 compares on the CPU profiles."""
    return (-2.0, -1.0, 0.0, 0.5, 1.5, 2.0) if profile == "paper" else tuple(a for a in ALPHAS if a != 1.0)


# --- the test set -------------------------------------------------------------------------------------------------
# The demo's data, fixed before the claims' runs: 1,000 test images per category (500 normal, 100 of each of the five
# defect kinds), enough for the test-sampling error of a paired I-AUROC difference to stay near a point; and each
# category's defect strength, chosen on Config B's runs alone so that B is neither at the ceiling nor near chance
# (benchmarks/calibrate_demo.py; precomputed/demo_calibration.csv; tests/test_plan.py checks the two agree).
DEMO_TEST = {"n_test_good": 500, "n_per_defect": 100}
DEMO_STRENGTH: tuple[tuple[str, float], ...] = (("brick", 0.5), ("grass", 8.0), ("gravel", 5.6))
DEMO_DATA = DemoSpec(**DEMO_TEST, strength=DEMO_STRENGTH)


# --- the runs each table needs -----------------------------------------------------------------------------------
PAPER_SEEDS = (1, 11, 111)  # Table A2's seeds


@dataclass(frozen=True)
class TableRuns:
    """The runs a table needs: ``presets`` on every category of ``dataset`` (one model for all of them when
    ``unified``), for ``seeds`` (empty: the profile's story seeds), with configuration ``variants`` (empty: the
    preset as is)."""

    dataset: str
    presets: tuple[str, ...] = ("ReContrast",)
    seeds: tuple[int, ...] = ()
    unified: bool = False
    variants: tuple[tuple[tuple[str, Any], ...], ...] = ((),)


TABLES: dict[str, tuple[TableRuns, ...]] = {
    "table1": (TableRuns("mvtec_ad"),),
    "table2": (TableRuns("mvtec_ad"),),
    "tableA2": (TableRuns("mvtec_ad", seeds=PAPER_SEEDS),),
    "table3": (TableRuns("visa"),),
    "tableA3": (TableRuns("visa"),),
    "table4": (TableRuns("mvtec_ad", unified=True), TableRuns("visa", unified=True)),
    "table5": (TableRuns("aptos"), TableRuns("oct2017"), TableRuns("isic2018")),
    "table6": (TableRuns("mvtec_ad", presets=tuple(PRESETS)),),
    "tableA4": (
        TableRuns("mvtec_ad", presets=("E",)),
        TableRuns("mvtec_ad", variants=tuple((("alpha_end", a),) for a in (-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0))),
    ),
    "tableA7": (TableRuns("mvtec_loco"),),
}
