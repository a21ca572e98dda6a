"""The paper's claims as computations: each is measured on this profile's runs over its seeds and judged by
one stated noise rule, never by prose.

**Noise rule.** Every claim part compares a per-seed quantity ``d`` (a paired difference between two
configurations trained with the same seed, or one configuration's change) with what the paper predicts. With
``m`` the mean of ``d`` over the seeds and ``se`` its standard error (std / sqrt(n)), a difference counts only
when it exceeds twice its standard error:

* "d > 0" (an effect): *reproduced* if ``m - 2 se > 0``, *not reproduced* if ``m + 2 se < 0``, else *inconclusive*;
* "d >= -tol" (at least as good, within ``tol``): *reproduced* if ``m - 2 se > -tol``, *not reproduced* if
  ``m + 2 se < -tol``, else *inconclusive*;
* "|d| < tol" (changes little): *reproduced* if ``|m| + 2 se < tol``, *not reproduced* if ``|m| - 2 se > tol``,
  else *inconclusive*.

With one seed ``se`` is undefined and every verdict is *inconclusive*. A claim with several parts is
reproduced when every part is, not reproduced when any part is, and inconclusive otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from ..runs.run import Run
from ..scoring.evaluate import predict
from ..scoring.metrics import normal_to_defect_ratio
from .landscape import Landscape, cached_landscape

if TYPE_CHECKING:
    from .notebook import Context

COLUMNS = ["claim", "notebook", "paper", "observed_mean", "observed_std", "n_seeds", "verdict"]
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
STD_TOLERANCE = 0.05  # "does not fall": a relative decline of feature std above 5% counts as a fall
METRIC_TOLERANCE = 1.0  # "at least as good": within 1 point (I-AUROC or AUPRO)
ALPHA_TOLERANCE = 2.0  # "changes little": I-AUROC within 2 points between alphas
ALPHAS = (0.0, 1.0, 1.5)  # Table A4's values in [0, 1.5] that the demo trains


@dataclass(frozen=True)
class Observation:
    """One part of a claim, measured: what the paper predicts, the per-seed values, the verdict."""

    claim: str
    notebook: str
    paper: str
    values: tuple[float, ...]
    verdict: str

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else float("nan")

    def row(self) -> dict:
        return {
            "claim": self.claim,
            "notebook": self.notebook,
            "paper": self.paper,
            "observed_mean": self.mean,
            "observed_std": self.std,
            "n_seeds": len(self.values),
            "verdict": self.verdict,
        }


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")


def judge_effect(values: Sequence[float]) -> str:
    """Verdict on "d > 0" by the noise rule."""
    m, se = _mean_se(values)
    if np.isnan(se):
        return INCONCLUSIVE
    return REPRODUCED if m - 2 * se > 0 else NOT_REPRODUCED if m + 2 * se < 0 else INCONCLUSIVE


def judge_at_least(values: Sequence[float], tol: float) -> str:
    """Verdict on "d >= -tol" (non-inferiority) by the noise rule."""
    m, se = _mean_se(values)
    if np.isnan(se):
        return INCONCLUSIVE
    return REPRODUCED if m - 2 * se > -tol else NOT_REPRODUCED if m + 2 * se < -tol else INCONCLUSIVE


def judge_within(values: Sequence[float], tol: float) -> str:
    """Verdict on "|d| < tol" (equivalence) by the noise rule."""
    m, se = _mean_se(values)
    if np.isnan(se):
        return INCONCLUSIVE
    return REPRODUCED if abs(m) + 2 * se < tol else NOT_REPRODUCED if abs(m) - 2 * se > tol else INCONCLUSIVE


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict from its parts'."""
    if all(v == REPRODUCED for v in verdicts):
        return REPRODUCED
    return NOT_REPRODUCED if NOT_REPRODUCED in verdicts else INCONCLUSIVE


# --- the measured quantities ---------------------------------------------------------------------------------
def last(run: Run, metric: str = "I-AUROC") -> float:
    """The metric at the run's last evaluation (the paper reports the last, not the best)."""
    return float(run.metrics["last"][metric])


def relative_std_change(run: Run, stage: int = 2) -> float:
    """Fig. 5b's feature diversity of encoder stage ``stage``: its mean over the last tenth of training
    relative to its mean over the first five iterations, minus 1 (-0.25: a quarter of the diversity lost)."""
    std = run.steps[f"std_stage{stage}"].to_numpy()
    tail = max(len(std) // 10, 1)
    return float(std[-tail:].mean() / std[:5].mean() - 1.0)


def defect_contrast(run: Run, test) -> float:
    """Fig. 5c as a number: mean S^map over normal pixels divided by mean S^map over defect pixels, on the
    test set (lower: normal regions are cooler relative to defects)."""
    pred = predict(run.model, test, keep_maps=True)
    return normal_to_defect_ratio(pred.maps, pred.masks)


def landscapes(ctx: Context, run: Run, seed: int) -> dict[str, Landscape]:
    """Fig. 4's two planes around a run's weights (``whole``: distance 1, as the paper; ``zoom``: distance 4),
    cached beside the run so that the notebook and the claims share them."""
    n = ctx.profile.landscape_images
    images = torch.stack([ctx.train_set()[i].image for i in range(n)])
    folder = Path(run.out) if run.out is not None else ctx.results / "landscapes"
    steps = ctx.profile.landscape_steps
    return {
        name: cached_landscape(
            folder / f"landscape_d{distance:g}_s{steps}_n{n}_seed{seed}.npz",
            run.model,
            images,
            distance=distance,
            steps=steps,
            seed=seed,
        )
        for name, distance in (("whole", 1.0), ("zoom", 4.0))
    }


def near_radius(ctx: Context) -> float:
    """ "Near the minimum": three grid steps of the zoomed plane (distance 4), as a fraction of ||theta||."""
    return 3.0 / (4.0 * ctx.profile.landscape_steps)


# --- the claims ------------------------------------------------------------------------------------------------
def c1_collapse(ctx: Context) -> list[Observation]:
    change = {p: [relative_std_change(r) for r in ctx.runs(p)] for p in ("C", "D", "E")}
    return [
        Observation(
            "C1a",
            "03",
            "Fig. 5b: Config C's stage-2 feature std falls during training (relative change < 0)",
            tuple(change["C"]),
            judge_effect([-v for v in change["C"]]),
        ),
        Observation(
            "C1b",
            "04",
            f"Fig. 5b: Config D's does not fall (relative change >= -{STD_TOLERANCE:g})",
            tuple(change["D"]),
            judge_at_least(change["D"], STD_TOLERANCE),
        ),
        Observation(
            "C1c",
            "05",
            f"Fig. 5b: Config E's does not fall (relative change >= -{STD_TOLERANCE:g})",
            tuple(change["E"]),
            judge_at_least(change["E"], STD_TOLERANCE),
        ),
    ]


def _paired(ctx: Context, a: str, b: str, metric: str = "I-AUROC", **overrides) -> tuple[float, ...]:
    """Per seed: ``metric`` of preset ``a`` minus that of preset ``b`` (last evaluation, the story category)."""
    return tuple(last(x, metric) - last(y, metric) for x, y in zip(ctx.runs(a), ctx.runs(b, **overrides), strict=True))


def c2_detection(ctx: Context) -> list[Observation]:
    b_c, d_c, e_d = _paired(ctx, "B", "C"), _paired(ctx, "D", "C"), _paired(ctx, "E", "D")
    return [
        Observation("C2a", "03", "Table 6: C detects worse than B (I-AUROC B - C > 0)", b_c, judge_effect(b_c)),
        Observation("C2b", "04", "Table 6: stop-gradient recovers (I-AUROC D - C > 0)", d_c, judge_effect(d_c)),
        Observation(
            "C2c",
            "05",
            f"Table 6: E is at least as good as D (I-AUROC E - D >= -{METRIC_TOLERANCE:g})",
            e_d,
            judge_at_least(e_d, METRIC_TOLERANCE),
        ),
    ]


def c3_recontrast_vs_b(ctx: Context) -> list[Observation]:
    out = []
    for part, metric in (("C3a", "I-AUROC"), ("C3b", "AUPRO")):
        per_category = [
            [
                last(r, metric) - last(b, metric)
                for r, b in zip(ctx.runs("ReContrast", c), ctx.runs("B", c), strict=True)
            ]
            for c in ctx.categories
        ]
        values = tuple(np.mean(per_category, axis=0))  # per seed: the mean over categories
        text = (
            f"Tables 1, 6: ReContrast is at least as good as B in {metric} over the {len(ctx.categories)} "
            f"categories (ReContrast - B >= -{METRIC_TOLERANCE:g})"
        )
        out.append(Observation(part, "08", text, values, judge_at_least(values, METRIC_TOLERANCE)))
    return out


def c4_hard_mining(ctx: Context) -> list[Observation]:
    test = ctx.test_set()
    values = tuple(
        defect_contrast(e, test) - defect_contrast(r, test)
        for e, r in zip(ctx.runs("E"), ctx.runs("ReContrast"), strict=True)
    )
    text = (
        "Fig. 5c: hard mining lowers S^map on normal pixels relative to defect pixels "
        "(normal/defect ratio of E minus that of ReContrast > 0)"
    )
    return [Observation("C4", "06", text, values, judge_effect(values))]


def c5_landscape(ctx: Context) -> list[Observation]:
    spread, rise = [], []
    for seed, a, b in zip(ctx.seeds, ctx.runs("A"), ctx.runs("B"), strict=True):
        la, lb = landscapes(ctx, a, seed), landscapes(ctx, b, seed)
        spread.append(la["whole"].spread() - lb["whole"].spread())
        rise.append(lb["zoom"].rise(near_radius(ctx)) - la["zoom"].rise(near_radius(ctx)))
    return [
        Observation(
            "C5a",
            "11",
            "Fig. 4: over the whole plane L_global's S^map landscape is flatter than "
            "L_region's (spread of A - spread of B > 0)",
            tuple(spread),
            judge_effect(spread),
        ),
        Observation(
            "C5b",
            "11",
            "Fig. 4: around the trained weights L_global's landscape is sharper "
            "(rise of B - rise of A > 0, within 3 zoomed steps)",
            tuple(rise),
            judge_effect(rise),
        ),
    ]


def c6_global_beats_region(ctx: Context) -> list[Observation]:
    b_a = _paired(ctx, "B", "A")
    return [
        Observation(
            "C6",
            "02",
            "Fig. 5a: L_global (B) detects better than L_region (A) (I-AUROC B - A > 0)",
            b_a,
            judge_effect(b_a),
        )
    ]


def c7_alpha(ctx: Context) -> list[Observation]:
    runs = {a: ctx.runs("ReContrast", alpha_end=a) for a in ALPHAS}
    pairs = [(a, b) for i, a in enumerate(ALPHAS) for b in ALPHAS[i + 1 :]]
    diffs = {p: [last(x) - last(y) for x, y in zip(runs[p[0]], runs[p[1]], strict=True)] for p in pairs}
    worst = max(pairs, key=lambda p: abs(np.mean(diffs[p])))
    verdict = combine([judge_within(d, ALPHA_TOLERANCE) for d in diffs.values()])
    text = (
        f"Table A4: results change little for alpha in [0, 1.5] (I-AUROC of every pair of alpha in "
        f"{ALPHAS} within {ALPHA_TOLERANCE:g} points; shown: the largest, alpha {worst[0]:g} - {worst[1]:g})"
    )
    return [Observation("C7", "06", text, tuple(diffs[worst]), verdict)]


# the notebook that measures each claim (the first, where several print it): its seeds are the claim's
NOTEBOOK = {"C1": "03", "C2": "03", "C3": "08", "C4": "06", "C5": "11", "C6": "02", "C7": "06"}
CLAIMS: dict[str, Callable[[Context], list[Observation]]] = {
    "C1": c1_collapse,
    "C2": c2_detection,
    "C3": c3_recontrast_vs_b,
    "C4": c4_hard_mining,
    "C5": c5_landscape,
    "C6": c6_global_beats_region,
    "C7": c7_alpha,
}


def measure(ctx: Context, *claims: str) -> list[Observation]:
    """Measure the named claims (all when none is named) on this notebook's runs."""
    unknown = set(claims) - set(CLAIMS)
    if unknown:
        raise ValueError(f"unknown claim(s) {sorted(unknown)}; known: {', '.join(CLAIMS)}")
    return [obs for name in (claims or CLAIMS) for obs in CLAIMS[name](ctx)]


def record(observations: Sequence[Observation], path: Path) -> pd.DataFrame:
    """Write the observations into the claims table at ``path``, replacing earlier rows of the same parts."""
    new = pd.DataFrame([o.row() for o in observations], columns=COLUMNS)
    if path.exists():
        old = pd.read_csv(path, dtype={"notebook": str})
        new = pd.concat([old[~old.claim.isin(new.claim)], new]).sort_values("claim", kind="stable")
    path.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(path, index=False, float_format="%.4g")
    return new


def report(observations: Sequence[Observation]) -> str:
    """The "Observed in this run" text: one line per claim part, with its numbers and verdict."""
    lines = []
    for o in observations:
        values = ", ".join(f"{v:.3g}" for v in o.values)
        lines.append(
            f"{o.claim} [{o.verdict.upper()}] {o.paper}\n    observed {o.mean:.3g} +- {o.std:.2g} "
            f"(std over {len(o.values)} seeds: {values})"
        )
    return "\n".join(lines)


def observe(ctx: Context, *claims: str) -> pd.DataFrame:
    """Measure ``claims``, print them, and record them in ``<results>/claims.csv``; returns this run's rows."""
    observations = measure(ctx, *claims)
    print(
        f"Observed in this run ({ctx.profile.name} profile, seeds {', '.join(map(str, ctx.seeds))}; noise rule: "
        "a difference counts when it exceeds twice its standard error over seeds)"
    )
    print(report(observations))
    record(observations, ctx.results / "claims.csv")
    return pd.DataFrame([o.row() for o in observations], columns=COLUMNS)
