"""The paper's payoff along the training budget: C3a, C3b and C4 after 200, 400, 800 and 1,600 iterations, at
the demo's encoder learning rate and at the paper's, over the plan's seeds.

The demo trains 200 iterations at an encoder learning rate 100 times the paper's (1e-3 against 1e-5), so that a
trained encoder's effects show within CPU minutes. Whether ReContrast's image score overtakes Config B's later, and
whether hard mining cools normal regions with more training, are what this study measures. Each run trains
``max(BUDGETS)`` iterations and is scored on the whole test set after each budget (a learning curve): the budget
``b`` is the same run after ``b`` updates, not a run planned for ``b`` iterations (the hard-mining schedule ramps
alpha over the first 10% of the 1,600 iterations, not of ``b``). Config B's frozen encoder makes its runs the same
at either learning rate; they are trained once.

    rclib study --profile demo          # resumable from the run cache; the table goes to results/<profile>/
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..runs.run import Run
from .plan import claim_of
from .stats import judge
from .study import Study

BUDGETS = (200, 400, 800, 1600)
PAPER_ENCODER_LR = 1e-5
PARTS = ("C3a", "C3b", "C4")


def learning_rates(study: Study) -> dict[str, float]:
    """The encoder learning rates compared: the profile's and the paper's."""
    return {"profile": study.profile.encoder_lr, "paper": PAPER_ENCODER_LR}


def budget_runs(
    study: Study, preset: str, *, category: str | None, seed: int, encoder_lr: float, budgets: Sequence[int] = BUDGETS
) -> Run:
    """The learning-curve run of ``preset``: ``max(budgets)`` iterations, a full evaluation after each budget."""
    lr = study.profile.encoder_lr if preset == "B" else encoder_lr  # B's encoder is frozen: the same run
    options = dict(iterations=max(budgets), eval_at=tuple(budgets), eval_subset=0, encoder_lr=lr)
    return study.run(preset, category=category, seed=seed, **options)


def at_budget(run: Run, budget: int, metric: str) -> float:
    """``metric`` of the run's evaluation after ``budget`` iterations."""
    row = run.history[run.history.iteration == budget]
    if row.empty:
        raise ValueError(f"run {run.out} was not evaluated after {budget} iterations")
    return float(row[metric].iloc[0])


def _differences(
    study: Study, part: str, seeds: Sequence[int], *, encoder_lr: float, budgets: Sequence[int]
) -> dict[int, list[float]]:
    """Per budget, ``d`` per seed for ``part``: ReContrast - B averaged over the categories (C3a, C3b), or the
    normal/defect ratio of E minus ReContrast's on the story's category (C4)."""
    if part == "C4":
        pairs = [("E", "ReContrast", "normal/defect", (None,))]
    else:
        metric = "I-AUROC" if part == "C3a" else "AUPRO"
        pairs = [("ReContrast", "B", metric, tuple(study.categories))]
    treatment, control, metric, categories = pairs[0]
    out: dict[int, list[float]] = {b: [] for b in budgets}
    options = dict(seed=0, encoder_lr=encoder_lr, budgets=budgets)
    for seed in seeds:
        options["seed"] = seed
        per_category = {b: [] for b in budgets}
        for category in categories:
            x = budget_runs(study, treatment, category=category, **options)
            y = budget_runs(study, control, category=category, **options)
            for b in budgets:
                per_category[b].append(at_budget(x, b, metric) - at_budget(y, b, metric))
        for b in budgets:
            out[b].append(float(np.mean(per_category[b])))
    return out


def budget_table(study: Study, budgets: Sequence[int] = BUDGETS) -> pd.DataFrame:
    """One row per claim part, encoder learning rate and budget: ``d``'s mean, its interval and the verdict of the
    plan's rule over the plan's seeds (the test-sampling error is not included here: see the claims at 200)."""
    rows = []
    for part_name in PARTS:
        claim = claim_of(part_name)
        part = next(p for p in claim.parts if p.name == part_name)
        seeds = study.claim_seeds(claim.name)
        for which, lr in learning_rates(study).items():
            for budget, values in _differences(study, part_name, seeds, encoder_lr=lr, budgets=budgets).items():
                verdict, ci = judge([part.sign * v for v in values], part.rule, part.tolerance)
                low, high = sorted((ci.low * part.sign, ci.high * part.sign))
                rows.append(
                    {
                        "claim": part_name,
                        "encoder_lr": lr,
                        "learning rate": which,
                        "budget": budget,
                        "n_seeds": len(values),
                        "mean": float(np.mean(values)),
                        "std": float(np.std(values, ddof=1)) if len(values) > 1 else float("nan"),
                        "ci_level": ci.level,
                        "ci_low": low,
                        "ci_high": high,
                        "verdict": verdict,
                        "values": " ".join(f"{v:.4g}" for v in values),
                    }
                )
    return pd.DataFrame(rows)


def overtakes(table: pd.DataFrame, which: str = "profile") -> str:
    """In words, from the numbers: at which budget, if any, ReContrast's image score (C3a) overtakes B's."""
    c3a = table[(table.claim == "C3a") & (table["learning rate"] == which)].sort_values("budget")
    above = c3a[c3a.ci_low > 0]
    if not above.empty:
        return (
            f"from {int(above.budget.iloc[0])} iterations on, ReContrast's I-AUROC is above B's (95% interval above 0)"
        )
    ahead = c3a[c3a["mean"] > 0]
    if not ahead.empty:
        return (
            f"ReContrast's mean I-AUROC is above B's from {int(ahead.budget.iloc[0])} iterations, but no interval "
            "lies above 0: the seeds do not settle that it overtakes"
        )
    return f"ReContrast's I-AUROC stays below B's at every budget up to {int(c3a.budget.max())} iterations"


def cools(table: pd.DataFrame, which: str = "profile") -> str:
    """In words, from the numbers: whether hard mining cools normal regions (C4) at each budget."""
    c4 = table[(table.claim == "C4") & (table["learning rate"] == which)].sort_values("budget")
    parts = [f"{int(r.budget)}: {r.verdict}" for r in c4.itertuples()]
    return "hard mining lowers S^map on normal pixels relative to defects (C4) - " + "; ".join(parts)


def write_study(
    study: Study, out: Path, *, command: str, commit: str, budgets: Sequence[int] = BUDGETS
) -> pd.DataFrame:
    """Run (or resume from the cache) the budget study and write its table to ``out`` with the command and the
    commit that produced it."""
    table = budget_table(study, budgets).assign(command=command, commit=commit)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.5g")
    return table


def _settled(table: pd.DataFrame, part: str, which: str) -> pd.DataFrame:
    return table[(table.claim == part) & (table["learning rate"] == which)].sort_values("budget")


def advice(table: pd.DataFrame) -> str:
    """Which preset to train on your own images, and for how long, as the budget study found it (the sentence is
    chosen by the study's numbers, for the demo's encoder learning rate)."""
    image = _settled(table, "C3a", "profile")
    pixel = _settled(table, "C3b", "profile")
    ahead = image[image.ci_low > 0]
    behind = image[image.ci_high < 0]
    longest = int(image.budget.max())
    if not ahead.empty:
        first = f"ReContrast detects anomalous images better than Config B from {int(ahead.budget.iloc[0])} iterations"
    elif len(behind) == len(image):
        first = f"Config B detects anomalous images at least as well as ReContrast at every budget up to {longest}"
    else:
        first = f"neither ReContrast nor Config B detects anomalous images clearly better up to {longest} iterations"
    localise = pixel[pixel.ci_low > 0]
    second = (
        f"ReContrast localises defects better (AUPRO) from {int(localise.budget.iloc[0])} iterations"
        if not localise.empty
        else "neither localises defects clearly better"
    )
    return f"{first}; {second}."


def findings(table: pd.DataFrame, claim: str) -> str:
    """What the budget study says of ``claim`` ("C3" or "C4") at both encoder learning rates, in words chosen by
    its numbers (the notebooks that measure the claim at 200 iterations print it under their own verdict)."""
    if claim == "C4":
        demo, paper = cools(table, "profile"), cools(table, "paper")
        return f"At the demo's encoder learning rate, {demo}. At the paper's, {paper}."
    if claim == "C3":
        return (
            f"At the demo's encoder learning rate, {overtakes(table, 'profile')}. At the paper's, "
            f"{overtakes(table, 'paper')}. Over both metrics: {advice(table)}"
        )
    raise ValueError(f"the budget study measures C3 and C4, not {claim!r}")
