"""The paper's claims as computations: each part of the plan (:mod:`rclib.paper.plan`) is measured per seed on a
study's runs and judged by the stated rule (:mod:`rclib.paper.stats`), never by prose.

:func:`observe` measures, prints and records; :func:`measure` only measures. Both take any object with the
:class:`Runs` interface, so the claims can be driven by a fake study of known values in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ..runs.run import Run
from .measures import (
    auroc_test_se,
    contrast_test_se,
    defect_contrast,
    landscapes,
    last,
    near_radius,
    relative_std_change,
)
from .plan import ALPHAS, CLAIMS, Claim, Part, seed_plan
from .stats import Interval, combine, judge, seeds_needed

COLUMNS = [
    "claim",
    "paper",
    "rule",
    "tolerance",
    "predicts",
    "observed_mean",
    "observed_std",
    "n_seeds",
    "plan_seeds",
    "ci_level",
    "ci_low",
    "ci_high",
    "se_test",
    "verdict",
    "seeds_to_settle",
]


class Runs(Protocol):
    """What a claim needs of a study (:class:`rclib.paper.study.Study` has it; the tests fake it)."""

    categories: tuple[str, ...]
    profile: Any
    results: Path

    def claim_seeds(self, claim: str) -> tuple[int, ...]: ...

    def runs(self, preset: str, *, seeds: tuple[int, ...], category: str | None = None, **overrides) -> list: ...

    def test_set(self, category: str | None = None): ...

    def train_set(self, category: str | None = None): ...


@dataclass(frozen=True)
class Observation:
    """One part of a claim, measured: what the paper predicts, the per-seed values, the interval the rule reads
    and the verdict. ``ci`` is the interval of the judged values (``sign * d``), ``values`` the reported ``d``."""

    part: Part
    paper: str
    values: tuple[float, ...]
    ci: Interval
    verdict: str
    plan_seeds: int

    @property
    def claim(self) -> str:
        return self.part.name

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else float("nan")

    @property
    def bounds(self) -> tuple[float, float]:
        """The interval in the units of the reported ``d`` (flipped back where the part judges ``-d``)."""
        low, high = self.ci.low * self.part.sign, self.ci.high * self.part.sign
        return (min(low, high), max(low, high))

    def seeds_to_settle(self) -> int | None:
        """Seeds the measured spread would need to tell the measured mean from the rule's nearest boundary
        (None: already settled, or nothing to go on)."""
        if self.verdict != "inconclusive" or len(self.values) < 2 or not self.std > 0:
            return None
        boundary = -self.part.tolerance if self.part.rule == "at_least" else 0.0
        judged = self.part.sign * self.mean
        if self.part.rule == "within":
            distance = self.part.tolerance - abs(judged)
        else:
            distance = abs(judged - boundary)
        if distance <= 0:
            return None
        return seeds_needed(self.std, distance, self.part.rule, floor=len(self.values))

    def row(self) -> dict:
        low, high = self.bounds
        return {
            "claim": self.claim,
            "paper": self.paper,
            "rule": self.part.rule,
            "tolerance": self.part.tolerance,
            "predicts": self.part.predicts,
            "observed_mean": self.mean,
            "observed_std": self.std,
            "n_seeds": len(self.values),
            "plan_seeds": self.plan_seeds,
            "ci_level": self.ci.level,
            "ci_low": low,
            "ci_high": high,
            "se_test": self.ci.se_test,
            "verdict": self.verdict,
            "seeds_to_settle": self.seeds_to_settle(),
        }


# --- a part's per-seed values ----------------------------------------------------------------------------------
def _per_category(study: Runs, part: Part) -> tuple[str | None, ...]:
    return tuple(study.categories) if part.categories == "all" else (None,)


def _runs(study: Runs, part: Part, seeds: tuple[int, ...], category: str | None) -> list[tuple[Run, Run | None]]:
    """The part's runs, paired by seed: (treatment, control) for every seed."""
    treated = study.runs(part.treatment, seeds=seeds, category=category)
    control = study.runs(part.control, seeds=seeds, category=category) if part.control else [None] * len(treated)
    for seed, run in zip(seeds, treated, strict=True):
        if run.config.seed != seed:
            raise ValueError(f"claim part {part.name}: the run of seed {seed} was trained with seed {run.config.seed}")
    return list(zip(treated, control, strict=True))


def _paired(study: Runs, part: Part, pairs: list[tuple[Run, Run | None]], seeds: tuple[int, ...]) -> list[float]:
    """``d`` of every seed on one category."""
    if part.measure == "metric":
        return [last(x, part.metric) - last(y, part.metric) for x, y in pairs]
    if part.measure == "std_change":
        return [relative_std_change(x) for x, _ in pairs]
    if part.measure == "defect_contrast":
        return [defect_contrast(x) - defect_contrast(y) for x, y in pairs]
    if part.measure in ("landscape_spread", "landscape_rise"):
        radius = near_radius(study.profile.landscape_steps)
        out = []
        for seed, (x, y) in zip(seeds, pairs, strict=True):
            lx, ly = landscapes(study, x, seed), landscapes(study, y, seed)
            if part.measure == "landscape_spread":
                out.append(lx["whole"].spread() - ly["whole"].spread())
            else:
                out.append(lx["zoom"].rise(radius) - ly["zoom"].rise(radius))
        return out
    raise ValueError(f"claim part {part.name}: unknown measure {part.measure!r}")


def _test_se(part: Part, groups: list[list[tuple[Run, Run | None]]]) -> float:
    """The test-sampling error of the part's mean, where it is measured (0 elsewhere: see :data:`TEST_NOISE`)."""
    if part.measure == "metric" and part.metric == "I-AUROC":
        return auroc_test_se(groups)
    if part.measure == "defect_contrast":
        return contrast_test_se(groups[0])
    return 0.0


# which parts carry the test set's sampling error in their interval, and why the others do not
TEST_NOISE = {
    "I-AUROC": "paired bootstrap of the test images, the same resamples for every run of a comparison",
    "defect_contrast": "paired bootstrap of the test images (normal and defect pixel sums per image)",
    "AUPRO": "not included: the per-region overlap would need every resample's maps; the test sets are sized so "
    "that the I-AUROC difference's error is at most a point",
    "train images": "none: feature std (C1) and the landscapes (C5) are measured on training images",
}


def _values(study: Runs, part: Part, seeds: tuple[int, ...]) -> tuple[tuple[float, ...], float]:
    """``d`` per seed (the part's measure of the treatment minus the control's, averaged over its categories
    first) and the test-sampling error of its mean."""
    groups = [_runs(study, part, seeds, category) for category in _per_category(study, part)]
    values = np.mean([_paired(study, part, pairs, seeds) for pairs in groups], axis=0)
    return tuple(float(v) for v in values), _test_se(part, groups)


def _observe(part: Part, values: tuple[float, ...], se_test: float, **context: Any) -> Observation:
    verdict, ci = judge([part.sign * v for v in values], part.rule, part.tolerance, se_test)
    return Observation(part, part.paper.format(**context.pop("text", {})), values, ci, verdict, **context)


def _alpha_pairs(study: Runs, part: Part, seeds: tuple[int, ...], plan_seeds: int) -> Observation:
    """C7: every pair of alphas within the tolerance (equivalence); the pair that differs most is shown."""
    runs = {a: study.runs(part.treatment, seeds=seeds, alpha_end=a) for a in ALPHAS}
    pairs = [(a, b) for i, a in enumerate(ALPHAS) for b in ALPHAS[i + 1 :]]
    matched = {p: list(zip(runs[p[0]], runs[p[1]], strict=True)) for p in pairs}
    diffs = {p: tuple(last(x) - last(y) for x, y in matched[p]) for p in pairs}
    noise = {p: auroc_test_se([matched[p]]) for p in pairs}
    verdict = combine([judge(diffs[p], part.rule, part.tolerance, noise[p])[0] for p in pairs])
    worst = max(pairs, key=lambda p: abs(np.mean(diffs[p])))
    shown = _observe(
        part, diffs[worst], noise[worst], text={"worst": f"{worst[0]:g} - {worst[1]:g}"}, plan_seeds=plan_seeds
    )
    return replace(shown, verdict=verdict)


def measure_part(study: Runs, part: Part, seeds: tuple[int, ...], plan_seeds: int | None = None) -> Observation:
    """One part of a claim, measured over ``seeds`` and judged (``plan_seeds``: how many the plan fixes)."""
    plan_seeds = len(seeds) if plan_seeds is None else plan_seeds
    if part.measure == "alpha_pairs":
        return _alpha_pairs(study, part, seeds, plan_seeds)
    values, se_test = _values(study, part, seeds)
    text = {"n_categories": len(_per_category(study, part))}
    return _observe(part, values, se_test, text=text, plan_seeds=plan_seeds)


def measure_claim(study: Runs, claim: Claim) -> list[Observation]:
    seeds = study.claim_seeds(claim.name)
    planned = len(seed_plan(study.profile.name).claim_seeds(claim.name))
    return [measure_part(study, part, seeds, planned) for part in claim.parts]


def measure(study: Runs, *claims: str) -> list[Observation]:
    """Measure the named claims (all when none is named) on the study's runs, each over its plan's seeds."""
    unknown = set(claims) - set(CLAIMS)
    if unknown:
        raise ValueError(f"unknown claim(s) {sorted(unknown)}; known: {', '.join(CLAIMS)}")
    return [obs for name in (claims or CLAIMS) for obs in measure_claim(study, CLAIMS[name])]


def record(observations: Sequence[Observation], path: Path) -> pd.DataFrame:
    """Write the observations into the claims table at ``path``, replacing earlier rows of the same parts."""
    new = pd.DataFrame([o.row() for o in observations], columns=COLUMNS)
    if path.exists():
        old = pd.read_csv(path)
        new = pd.concat([old[~old.claim.isin(new.claim)], new]).sort_values("claim", kind="stable")
    path.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(path, index=False, float_format="%.4g")
    return new


def direction(o: Observation) -> str:
    """Which way the estimate points: the paper's way (past the rule's boundary in the predicted direction),
    or against it."""
    judged = o.part.sign * o.mean
    if o.part.rule == "within":
        agrees = abs(judged) < o.part.tolerance
    else:
        agrees = judged > (-o.part.tolerance if o.part.rule == "at_least" else 0.0)
    return "points the paper's way" if agrees else "points against the paper"


def describe(o: Observation) -> str:
    """Two lines under the verdict: the interval the rule read, which way the estimate points and, when the data
    do not decide, how many seeds the measured spread would need."""
    low, high = o.bounds
    noise = f", test-sampling error {o.ci.se_test:.2g} included" if o.ci.se_test else ""
    values = ", ".join(f"{v:.3g}" for v in o.values)
    lines = [f"    d = {o.mean:.3g} (std {o.std:.2g} over {len(o.values)} seeds: {values})"]
    if np.isnan(low):
        lines.append("    one seed: no interval, no verdict")
        return "\n".join(lines)
    settle = o.seeds_to_settle()
    tail = f"; the measured spread would need about {settle} seeds to settle it" if settle else ""
    lines.append(f"    {o.ci.level:.0%} t interval [{low:.3g}, {high:.3g}]{noise}; {direction(o)}{tail}")
    if len(o.values) != o.plan_seeds:
        lines.append(f"    measured over {len(o.values)} seeds, not the plan's {o.plan_seeds}: not the plan's verdict")
    return "\n".join(lines)


def report(observations: Sequence[Observation]) -> str:
    """The "Observed in this run" text: per claim part, the verdict, the interval, the direction, the values."""
    return "\n".join(f"{o.claim} [{o.verdict.upper()}] {o.paper}\n{describe(o)}" for o in observations)


def observe(study: Runs, *claims: str) -> pd.DataFrame:
    """Measure ``claims``, print them, and record them in ``<results>/claims.csv``; returns this run's rows."""
    observations = measure(study, *claims)
    seeds = {name: study.claim_seeds(name) for name in claims or CLAIMS}
    shown = "; ".join(f"{name}: seeds {', '.join(map(str, s))}" for name, s in seeds.items())
    print(f"Observed in this run ({study.profile.name} profile; {shown}; rule: rclib.paper.stats)")
    print(report(observations))
    record(observations, study.results / "claims.csv")
    return pd.DataFrame([o.row() for o in observations], columns=COLUMNS)
