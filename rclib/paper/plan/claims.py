"""The claims this reproduction checks, declared once: each part names what is measured per seed
(:attr:`Part.measure`), the configurations it pairs, which way the paper says the difference points or the
tolerance it allows (:attr:`Part.rule`), and the categories it averages over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

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
