"""The analysis plan: every claim this reproduction checks, declared once, before its runs are looked at.

A claim compares configurations trained with the same seeds. Each of its parts names what is measured per
seed (:attr:`Part.measure`), the configurations it pairs, which way the paper says the difference points or the
tolerance it allows (:attr:`Part.rule`), and the categories it averages over. The seeds of a claim are the first
``n`` of its profile's fixed seed order (:class:`SeedPlan`); ``n`` is fixed per claim, here, with its
reasoning. The runs every table needs are declared here too (:data:`TABLES`), so that the grid, the table
builders, the claims and the notebooks read one declaration, and nothing is keyed by a notebook's number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from ..config import PRESETS
from ..data import DemoSpec
from .results import precomputed
from .stats import seeds_needed

Rule = Literal["effect", "at_least", "within"]
Measure = Literal["metric", "std_change", "defect_contrast", "landscape_spread", "landscape_rise", "alpha_pairs"]

STD_TOLERANCE = 0.05  # "does not fall": a relative decline of feature std above 5% counts as a fall
METRIC_TOLERANCE = 1.0  # "at least as good": within 1 point (I-AUROC or AUPRO)
ALPHA_TOLERANCE = 2.0  # "changes little": I-AUROC within 2 points between alphas


@dataclass(frozen=True)
class Part:
    """One part of a claim: a per-seed quantity ``d`` and what the paper says of it.

    ``d`` is ``measure`` of ``treatment`` minus that of ``control`` (paired by seed), or the treatment's own value
    when there is no control; ``sign=-1`` judges ``-d`` (for "falls": ``d < 0``); ``d`` itself is reported.
    ``rule`` is ``effect`` (``d > 0``), ``at_least`` (``d >= -tolerance``) or ``within`` (``|d| < tolerance``)."""

    name: str
    paper: str  # what the paper predicts, in words, with the quantity and the boundary
    measure: Measure
    treatment: str
    control: str = ""
    metric: str = "I-AUROC"
    rule: Rule = "effect"
    tolerance: float = 0.0
    sign: int = 1
    categories: Literal["story", "all"] = "story"

    @property
    def predicts(self) -> Literal["above", "below", "band"]:
        """Where the paper puts ``d`` (in its own units): above or below the rule's boundary, or in the band."""
        if self.rule == "within":
            return "band"
        return "above" if self.sign > 0 else "below"


@dataclass(frozen=True)
class Claim:
    """A claim of the paper: its parts, all judged over the same seeds."""

    name: str
    parts: tuple[Part, ...]
    variants: tuple[tuple[str, dict[str, Any]], ...] = ()  # (preset, overrides) runs besides the parts' presets

    @property
    def presets(self) -> tuple[str, ...]:
        names = [p.treatment for p in self.parts] + [p.control for p in self.parts if p.control]
        return tuple(dict.fromkeys(names))

    @property
    def categories(self) -> Literal["story", "all"]:
        return "all" if any(p.categories == "all" for p in self.parts) else "story"


ALPHAS = (0.0, 1.0, 1.5)  # Table A4's values in [0, 1.5] that C7 compares (1.0 is ReContrast's own)

CLAIMS: dict[str, Claim] = {
    c.name: c
    for c in (
        Claim(
            "C1",
            (
                Part(
                    "C1a",
                    "Fig. 5b: Config C's stage-2 feature std falls during training (relative change < 0)",
                    "std_change",
                    "C",
                    sign=-1,
                ),
                Part(
                    "C1b",
                    f"Fig. 5b: Config D's does not fall (relative change >= -{STD_TOLERANCE:g})",
                    "std_change",
                    "D",
                    rule="at_least",
                    tolerance=STD_TOLERANCE,
                ),
                Part(
                    "C1c",
                    f"Fig. 5b: Config E's does not fall (relative change >= -{STD_TOLERANCE:g})",
                    "std_change",
                    "E",
                    rule="at_least",
                    tolerance=STD_TOLERANCE,
                ),
            ),
        ),
        Claim(
            "C2",
            (
                Part("C2a", "Table 6: C detects worse than B (I-AUROC B - C > 0)", "metric", "B", "C"),
                Part("C2b", "Table 6: stop-gradient recovers (I-AUROC D - C > 0)", "metric", "D", "C"),
                Part(
                    "C2c",
                    f"Table 6: E is at least as good as D (I-AUROC E - D >= -{METRIC_TOLERANCE:g})",
                    "metric",
                    "E",
                    "D",
                    rule="at_least",
                    tolerance=METRIC_TOLERANCE,
                ),
            ),
        ),
        Claim(
            "C3",
            tuple(
                Part(
                    name,
                    f"Tables 1, 6: ReContrast is at least as good as B in {metric} over the {{n_categories}} "
                    f"categories (ReContrast - B >= -{METRIC_TOLERANCE:g})",
                    "metric",
                    "ReContrast",
                    "B",
                    metric=metric,
                    rule="at_least",
                    tolerance=METRIC_TOLERANCE,
                    categories="all",
                )
                for name, metric in (("C3a", "I-AUROC"), ("C3b", "AUPRO"))
            ),
        ),
        Claim(
            "C4",
            (
                Part(
                    "C4",
                    "Fig. 5c: hard mining lowers S^map on normal pixels relative to defect pixels "
                    "(normal/defect ratio of E minus that of ReContrast > 0)",
                    "defect_contrast",
                    "E",
                    "ReContrast",
                ),
            ),
        ),
        Claim(
            "C5",
            (
                Part(
                    "C5a",
                    "Fig. 4: over the whole plane L_global's S^map landscape is flatter than "
                    "L_region's (spread of A - spread of B > 0)",
                    "landscape_spread",
                    "A",
                    "B",
                ),
                Part(
                    "C5b",
                    "Fig. 4: around the trained weights L_global's landscape is sharper "
                    "(rise of B - rise of A > 0, within 3 zoomed steps)",
                    "landscape_rise",
                    "B",
                    "A",
                ),
            ),
        ),
        Claim(
            "C6",
            (
                Part(
                    "C6",
                    "Fig. 5a: L_global (B) detects better than L_region (A) (I-AUROC B - A > 0)",
                    "metric",
                    "B",
                    "A",
                ),
            ),
        ),
        Claim(
            "C7",
            (
                Part(
                    "C7",
                    f"Table A4: results change little for alpha in [0, 1.5] (I-AUROC of every pair of alpha in "
                    f"{ALPHAS} within {ALPHA_TOLERANCE:g} points; shown: the largest, alpha {{worst}})",
                    "alpha_pairs",
                    "ReContrast",
                    rule="within",
                    tolerance=ALPHA_TOLERANCE,
                ),
            ),
            variants=tuple(("ReContrast", {"alpha_end": a}) for a in ALPHAS),
        ),
    )
}


def claim_of(part: str) -> Claim:
    """The claim that ``part`` ("C3a") belongs to."""
    for claim in CLAIMS.values():
        if any(p.name == part for p in claim.parts):
            return claim
    raise ValueError(
        f"unknown claim part {part!r}; known: {', '.join(p.name for c in CLAIMS.values() for p in c.parts)}"
    )


@dataclass(frozen=True)
class SeedPlan:
    """A profile's seeds: a fixed order, how many of them the figure notebooks train, and how many each claim
    is judged over (``claims``; the others use ``story``). A claim over ``n`` seeds uses the first ``n``."""

    order: tuple[int, ...]
    story: int
    claims: dict[str, int] = field(default_factory=dict)
    reasoning: str = ""

    def story_seeds(self) -> tuple[int, ...]:
        return self.order[: self.story]

    def claim_seeds(self, claim: str) -> tuple[int, ...]:
        n = self.claims.get(claim, self.story)
        if n > len(self.order):
            raise ValueError(f"claim {claim} needs {n} seeds; the seed order has {len(self.order)}")
        return self.order[:n]


# The smallest difference that matters for each part, in the units of ``d`` (see ``Part``), and why. With the
# spread of ``d`` over seeds measured before this plan (``plan_pilot``, shipped: the demo's claims at commit
# 08221b2, 100 test images per category), :func:`power_table` turns them into the seeds each claim needs for a
# power of 0.8 (:func:`rclib.paper.stats.seeds_needed`); the demo's seed counts below are those numbers, fixed here
# before the claims' runs of this plan were looked at.
MARGINS: dict[str, tuple[float | None, str]] = {
    "C1a": (0.05, "a fall of 5% of the feature std: the tolerance that defines 'does not fall'"),
    "C1b": (0.05, "no change is 0.05 from the boundary -0.05"),
    "C1c": (0.05, "no change is 0.05 from the boundary -0.05"),
    "C2a": (2.0, "2 I-AUROC points, below the gap Table 6 reports (B - C: 7.3 on MVTec AD)"),
    "C2b": (2.0, "2 I-AUROC points, below the gap Table 6 reports (D - C: 3.1 on MVTec AD)"),
    "C2c": (3.0, "a gain of 2 points (Table 6: E - D is 4.5) is 3 from the boundary -1"),
    "C3a": (
        3.0,
        "a gain of 2 points is 3 from the boundary -1 (Table 6's own gain, +0.6, is out of reach: see the table)",
    ),
    "C3b": (3.0, "a gain of 2 points is 3 from the boundary -1 (Table 6's own gain, +0.7, is out of reach)"),
    "C4": (0.05, "a change of 0.05 in the normal/defect S^map ratio"),
    "C5a": (None, "S^map has no natural unit: one standard deviation of the pilot (a large standardised effect)"),
    "C5b": (None, "S^map has no natural unit: one standard deviation of the pilot (a large standardised effect)"),
    "C6": (2.0, "2 I-AUROC points, below the gap Table 6 reports (B - A: 3.6 on MVTec AD)"),
    "C7": (2.0, "no difference is 2 from either tolerance"),
}

SEED_PLANS: dict[str, SeedPlan] = {
    "smoke": SeedPlan(order=(111,), story=1, reasoning="smoke: one seed checks that everything runs; no verdict"),
    "demo": SeedPlan(
        order=(1, 11, 111, 2, 3, 4, 5, 6, 7, 8),  # Table A2's three seeds first
        story=3,
        claims={"C1": 3, "C2": 4, "C3": 7, "C4": 6, "C5": 10, "C6": 5, "C7": 8},
        reasoning="power_table(): seeds for a power of 0.8 at each part's margin (MARGINS), from the pilot's spreads",
    ),
    "paper": SeedPlan(
        order=(111, 1, 11),
        story=1,
        reasoning="the official scripts' seed (111); Table A2's three for the claims would be a GPU run's choice",
    ),
}


def power_table() -> pd.DataFrame:
    """Per claim part: the pilot's spread of ``d``, the margin that matters and why, and the seeds a power of 0.8
    needs at that margin (the plan's demo seed count of a claim is the largest of its parts')."""
    pilot = precomputed("plan_pilot").set_index("claim")
    rows = []
    for claim in CLAIMS.values():
        for part in claim.parts:
            spread = float(pilot.loc[part.name, "observed_std"])
            margin, reason = MARGINS[part.name]
            margin = spread if margin is None else margin
            rows.append(
                {
                    "claim": claim.name,
                    "part": part.name,
                    "rule": part.rule,
                    "pilot_spread": spread,
                    "pilot_seeds": int(pilot.loc[part.name, "n_seeds"]),
                    "margin": margin,
                    "why": reason,
                    "seeds": seeds_needed(spread, margin, part.rule),
                }
            )
    return pd.DataFrame(rows)


def plan_signature(profile: str = "demo") -> str:
    """The plan's seeds per claim and its demo test set in one line, recorded beside measurements that depend on
    them (the notebooks' run times), so that a measurement of another plan can say so."""
    seeds = " ".join(f"{claim}:{len(seed_plan(profile).claim_seeds(claim))}" for claim in CLAIMS)
    return f"seeds {seeds}; test set {DEMO_TEST['n_test_good']} normal + {DEMO_TEST['n_per_defect']} per defect kind"


def seed_plan(profile: str) -> SeedPlan:
    if profile not in SEED_PLANS:
        raise ValueError(f"no seed plan for profile {profile!r}; plans: {', '.join(SEED_PLANS)}")
    return SEED_PLANS[profile]


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
