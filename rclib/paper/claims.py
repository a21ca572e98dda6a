"""The paper's claims as computations: each part of the plan (:mod:`rclib.paper.plan`) is measured per seed on a
study's runs and judged by the stated rule (:mod:`rclib.paper.stats`), never by prose.

:func:`observe` measures, prints and records; :func:`measure` only measures. Both take any object with the
:class:`Runs` interface, so the claims can be driven by a fake study of known values in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import torch

from ..runs.run import Run
from ..scoring.evaluate import predict
from ..scoring.metrics import normal_to_defect_ratio
from .landscape import Landscape, cached_landscape
from .plan import ALPHAS, CLAIMS, Claim, Part
from .stats import combine, judge

COLUMNS = ["claim", "paper", "observed_mean", "observed_std", "n_seeds", "verdict"]


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
    """One part of a claim, measured: what the paper predicts, the per-seed values, the verdict."""

    claim: str
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
            "paper": self.paper,
            "observed_mean": self.mean,
            "observed_std": self.std,
            "n_seeds": len(self.values),
            "verdict": self.verdict,
        }


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


def landscapes(study: Runs, run: Run, seed: int) -> dict[str, Landscape]:
    """Fig. 4's two planes around a run's weights (``whole``: distance 1, as the paper; ``zoom``: distance 4),
    cached beside the run so that the notebook and the claims share them."""
    n = study.profile.landscape_images
    train = study.train_set()
    images = torch.stack([train[i].image for i in range(n)])
    folder = Path(run.out) if run.out is not None else study.results / "landscapes"
    steps = study.profile.landscape_steps
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


def near_radius(steps: int) -> float:
    """ "Near the minimum": three grid steps of the zoomed plane (distance 4), as a fraction of ||theta||."""
    return 3.0 / (4.0 * steps)


# --- a part's per-seed values ----------------------------------------------------------------------------------
def _per_category(study: Runs, part: Part) -> tuple[str | None, ...]:
    return tuple(study.categories) if part.categories == "all" else (None,)


def _values(study: Runs, part: Part, seeds: tuple[int, ...]) -> tuple[float, ...]:
    """``d`` per seed: the part's measure of the treatment minus the control's (averaged over the part's
    categories first)."""
    per_category = []
    for category in _per_category(study, part):
        treated = study.runs(part.treatment, seeds=seeds, category=category)
        control = study.runs(part.control, seeds=seeds, category=category) if part.control else None
        per_category.append(_paired(study, part, (treated, control), seeds))
    return tuple(np.mean(per_category, axis=0))


def _paired(study: Runs, part: Part, runs: tuple[list, list | None], seeds: tuple[int, ...]) -> list[float]:
    treated, control = runs
    if part.measure == "metric":
        return [last(x, part.metric) - last(y, part.metric) for x, y in zip(treated, control, strict=True)]
    if part.measure == "std_change":
        return [relative_std_change(r) for r in treated]
    if part.measure == "defect_contrast":
        test = study.test_set()
        return [defect_contrast(x, test) - defect_contrast(y, test) for x, y in zip(treated, control, strict=True)]
    if part.measure in ("landscape_spread", "landscape_rise"):
        radius = near_radius(study.profile.landscape_steps)
        out = []
        for seed, x, y in zip(seeds, treated, control, strict=True):
            lx, ly = landscapes(study, x, seed), landscapes(study, y, seed)
            if part.measure == "landscape_spread":
                out.append(lx["whole"].spread() - ly["whole"].spread())
            else:
                out.append(lx["zoom"].rise(radius) - ly["zoom"].rise(radius))
        return out
    raise ValueError(f"claim part {part.name}: unknown measure {part.measure!r}")


def _alpha_pairs(study: Runs, part: Part, seeds: tuple[int, ...]) -> Observation:
    """C7: every pair of alphas within the tolerance (equivalence); the pair that differs most is shown."""
    runs = {a: study.runs(part.treatment, seeds=seeds, alpha_end=a) for a in ALPHAS}
    pairs = [(a, b) for i, a in enumerate(ALPHAS) for b in ALPHAS[i + 1 :]]
    diffs = {p: [last(x) - last(y) for x, y in zip(runs[p[0]], runs[p[1]], strict=True)] for p in pairs}
    worst = max(pairs, key=lambda p: abs(np.mean(diffs[p])))
    verdict = combine([judge(d, part.rule, part.tolerance) for d in diffs.values()])
    text = part.paper.format(worst=f"{worst[0]:g} - {worst[1]:g}")
    return Observation(part.name, text, tuple(diffs[worst]), verdict)


def measure_part(study: Runs, part: Part, seeds: tuple[int, ...]) -> Observation:
    """One part of a claim, measured over ``seeds`` and judged."""
    if part.measure == "alpha_pairs":
        return _alpha_pairs(study, part, seeds)
    values = _values(study, part, seeds)
    text = part.paper.format(n_categories=len(_per_category(study, part)))
    return Observation(part.name, text, values, judge([part.sign * v for v in values], part.rule, part.tolerance))


def measure_claim(study: Runs, claim: Claim) -> list[Observation]:
    seeds = study.claim_seeds(claim.name)
    return [measure_part(study, part, seeds) for part in claim.parts]


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


def observe(study: Runs, *claims: str) -> pd.DataFrame:
    """Measure ``claims``, print them, and record them in ``<results>/claims.csv``; returns this run's rows."""
    observations = measure(study, *claims)
    seeds = {name: study.claim_seeds(name) for name in claims or CLAIMS}
    shown = "; ".join(f"{name}: seeds {', '.join(map(str, s))}" for name, s in seeds.items())
    print(
        f"Observed in this run ({study.profile.name} profile; {shown}; noise rule: "
        "a difference counts when it exceeds twice its standard error over seeds)"
    )
    print(report(observations))
    record(observations, study.results / "claims.csv")
    return pd.DataFrame([o.row() for o in observations], columns=COLUMNS)
