"""The budget study: per budget, the paired differences over seeds (averaged over the categories for C3), judged
by the plan's rule, and the sentences chosen by its numbers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rclib.paper import budget
from rclib.paper.budget import BUDGETS, advice, budget_table, cools, findings, overtakes
from rclib.paper.plan import seed_plan

WOBBLE = {1: 0.2, 11: -0.1, 111: 0.3, 2: -0.2, 3: 0.1, 4: 0.0, 5: -0.3, 6: 0.2}
GAIN = {"brick": 1.0, "grass": -2.0, "gravel": 4.0}  # ReContrast's gain over B differs by category


def metric(preset: str, category: str, seed: int, budget: int, *, lr: float) -> dict[str, float]:
    """A learning curve: B flat at 80; ReContrast starts 3 below B and gains 1 point per doubling of the budget
    at the demo's learning rate (nothing at the paper's); E's normal/defect ratio above ReContrast's by 0.1."""
    steps = np.log2(budget / BUDGETS[0])
    if preset == "B":
        level = 80.0
    else:
        level = 77.0 + (steps if lr > 1e-4 else 0.0) + GAIN.get(category, 0.0)
    wobble = WOBBLE[seed] * (1 if preset == "ReContrast" else -1)
    ratio = 0.6 if preset == "E" else 0.5
    return {"I-AUROC": level + wobble, "AUPRO": level + 1 + wobble, "normal/defect": ratio + wobble / 10}


class FakeStudy:
    categories = ("brick", "grass", "gravel")
    profile = SimpleNamespace(name="demo", encoder_lr=1e-3)

    def claim_seeds(self, claim: str) -> tuple[int, ...]:
        return seed_plan("demo").claim_seeds(claim)

    def run(self, preset: str, *, category=None, seed: int, eval_at, encoder_lr: float, **options):
        assert options["iterations"] == max(eval_at) and options["eval_subset"] == 0
        rows = [{"iteration": b, **metric(preset, category or "brick", seed, b, lr=encoder_lr)} for b in eval_at]
        return SimpleNamespace(history=pd.DataFrame(rows), out=None)


def test_each_budget_holds_the_paired_difference_averaged_over_categories():
    table = budget_table(FakeStudy())
    seeds = seed_plan("demo").claim_seeds("C3")
    row = table[(table.claim == "C3a") & (table["learning rate"] == "profile") & (table.budget == 800)].iloc[0]
    # ReContrast - B at 800: -3 + 2 doublings + the mean gain (1 - 2 + 4) / 3, + 2 * wobble per seed
    want = [-3 + 2 + 1.0 + 2 * WOBBLE[s] for s in seeds]
    assert row.n_seeds == len(seeds) and row["mean"] == pytest.approx(np.mean(want))
    assert [float(v) for v in row["values"].split()] == pytest.approx(want, rel=1e-3)
    c4 = table[(table.claim == "C4") & (table.budget == 200) & (table["learning rate"] == "paper")].iloc[0]
    assert c4.n_seeds == len(seed_plan("demo").claim_seeds("C4")) and c4["mean"] == pytest.approx(0.1, abs=0.05)


def test_the_sentences_follow_the_numbers():
    table = budget_table(FakeStudy())
    # the demo's rate: -2, -1, 0, +1 points (plus the mean gain of +1): above B with a clear interval at 1,600
    assert overtakes(table, "profile").startswith("from 1600 iterations on, ReContrast's I-AUROC is above B's")
    # the paper's rate never gains: -3 + 1 = -2 at every budget
    assert overtakes(table, "paper") == "ReContrast's I-AUROC stays below B's at every budget up to 1600 iterations"
    assert cools(table, "profile").endswith("200: reproduced; 400: reproduced; 800: reproduced; 1600: reproduced")
    assert advice(table).startswith("ReContrast detects anomalous images better than Config B from 1600 iterations")
    assert "At the paper's, ReContrast's I-AUROC stays below B's" in findings(table, "C3")
    assert findings(table, "C4").startswith("At the demo's encoder learning rate, hard mining lowers")
    with pytest.raises(ValueError, match="C3 and C4"):
        findings(table, "C5")


def test_b_is_trained_once_for_both_learning_rates(monkeypatch):
    calls = []
    study = FakeStudy()
    original = study.run

    def counting(preset, **options):
        calls.append((preset, options["category"], options["seed"], options["encoder_lr"]))
        return original(preset, **options)

    monkeypatch.setattr(study, "run", counting)
    budget_table(study)
    assert {lr for preset, _, _, lr in calls if preset == "B"} == {study.profile.encoder_lr}
    assert {lr for preset, _, _, lr in calls if preset == "ReContrast"} == {1e-3, budget.PAPER_ENCODER_LR}


@pytest.mark.parametrize("parts", [("C4",), ("C3a", "C3b")])
def test_the_notebooks_budget_plots_pass_the_layout_check(parts):
    from rclib.paper.forest import plot_budget
    from rclib.paper.layout import layout_problems

    fig = plot_budget(budget_table(FakeStudy()), parts=parts, title="budget")
    assert not layout_problems(fig)
    assert len(fig.axes) == len(parts) and all(ax.get_xlabel() == "training iterations" for ax in fig.axes)
