"""Claims as computations: the t rule on hand-computed values, the power calculation, and every claim of the plan
driven by a fake study of known per-seed values, so that a flipped sign, a wrong pairing of seeds or a wrong average
over categories fails here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rclib.paper import claims as claims_module
from rclib.paper.claims import measure, observe, record
from rclib.paper.landscape import Landscape
from rclib.paper.plan import CLAIMS, SEED_PLANS, power_table, seed_plan
from rclib.paper.stats import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    combine,
    interval,
    judge,
    paired_test_se,
    seeds_needed,
)
from rclib.paper.tables import mean_std, with_paper_column


# --- the rule, by hand ------------------------------------------------------------------------------------------
def test_effect_rule_reads_a_95_percent_t_interval():
    # mean 2, std 1, n 3: se 0.577; t(0.975, 2) = 4.303: [2 - 2.484, 2 + 2.484] contains 0
    verdict, ci = judge([1.0, 2.0, 3.0], "effect")
    assert ci.low == pytest.approx(2 - 4.3027 * 1 / np.sqrt(3), abs=1e-3) and verdict == INCONCLUSIVE
    # the old "twice the standard error" rule would have said reproduced: 2 - 2 * 0.577 > 0
    assert judge([2.5, 3.0, 3.5], "effect")[0] == REPRODUCED  # [1.76, 4.24]
    assert judge([-2.5, -3.0, -3.5], "effect")[0] == NOT_REPRODUCED
    assert judge([5.0], "effect")[0] == INCONCLUSIVE  # one seed: no spread, no verdict


def test_at_least_reads_one_sided_95_percent_bounds():
    # mean -0.5, std 0.5, n 3: se 0.2887; t(0.95, 2) = 2.920: bounds -1.343, 0.343
    verdict, ci = judge([-1.0, -0.5, 0.0], "at_least", 1.0)
    assert (ci.low, ci.high) == pytest.approx((-0.5 - 2.92 * 0.2887, -0.5 + 2.92 * 0.2887), abs=1e-3)
    assert ci.level == 0.90 and verdict == INCONCLUSIVE
    assert judge([-1.0, -0.5, 0.0], "at_least", 1.5)[0] == REPRODUCED
    assert judge([-3.0, -3.5, -2.5], "at_least", 1.0)[0] == NOT_REPRODUCED


def test_within_is_two_one_sided_tests():
    assert judge([0.1, -0.1, 0.0], "within", 2.0)[0] == REPRODUCED
    assert judge([5.0, 5.5, 4.5], "within", 2.0)[0] == NOT_REPRODUCED
    assert judge([-5.0, -5.5, -4.5], "within", 2.0)[0] == NOT_REPRODUCED
    assert judge([1.0, 3.0, 2.0], "within", 2.0)[0] == INCONCLUSIVE


def test_test_sampling_error_widens_the_interval():
    values = [2.5, 3.0, 3.5]
    assert judge(values, "effect")[0] == REPRODUCED
    wide = interval(values, 0.95, se_test=1.0)
    assert wide.se == pytest.approx(np.hypot(0.5 / np.sqrt(3), 1.0)) and wide.low < 0
    assert judge(values, "effect", se_test=1.0)[0] == INCONCLUSIVE


def test_combining_parts():
    assert combine([REPRODUCED, REPRODUCED]) == REPRODUCED
    assert combine([REPRODUCED, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine([INCONCLUSIVE, NOT_REPRODUCED]) == NOT_REPRODUCED


def test_power_calculation_matches_the_statistics_note():
    # s = 2.7 points, a margin of 3, one-sided 5%, power 0.8: about 7 seeds
    assert seeds_needed(2.7, 3.0, "at_least") == 7
    assert seeds_needed(0.1, 3.0, "effect") == 3  # never fewer than three
    assert seeds_needed(1.0, 1.0, "effect") > seeds_needed(1.0, 1.0, "at_least")  # two-sided 95% is stricter


def test_the_plans_seed_counts_are_its_power_calculation():
    table = power_table()
    assert set(table.part) == {p.name for c in CLAIMS.values() for p in c.parts}
    assert table.groupby("claim").seeds.max().to_dict() == SEED_PLANS["demo"].claims
    demo = seed_plan("demo")
    assert demo.story_seeds() == (1, 11, 111) and all(len(demo.claim_seeds(c)) >= 3 for c in CLAIMS)


def test_paired_bootstrap_of_identical_runs_has_no_error_and_noisy_scores_have_some():
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(50, int), np.ones(50, int)]
    scores = rng.normal(size=(3, 100)) + labels
    assert paired_test_se(scores, scores, labels, n=200) == 0.0
    assert 1.0 < paired_test_se(scores, rng.normal(size=(3, 100)) + labels, labels, n=200) < 10.0


# --- every claim on a fake study of known values ------------------------------------------------------------------
N_IMAGES = 40
LABELS = np.r_[np.zeros(N_IMAGES // 2, int), np.ones(N_IMAGES // 2, int)]


def images(offset: float, ratio: float) -> pd.DataFrame:
    """A fake per-image record: scores that separate the classes by ``offset`` (the same noise in every run, as
    two models scored on the same images), S^map sums whose normal/defect ratio is ``ratio``."""
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "path": [f"img{i:03d}.png" for i in range(N_IMAGES)],
            "label": LABELS,
            "score": rng.normal(size=N_IMAGES) + offset * LABELS,
            "normal_px": 100,
            "defect_px": 10 * LABELS,
            "normal_sum": 100 * ratio,
            "defect_sum": 10.0 * LABELS,
        }
    )


@dataclass
class FakeRun:
    preset: str
    seed: int
    metric: float  # its I-AUROC and AUPRO
    std_change: float = 0.0
    ratio: float = 0.5
    config: SimpleNamespace = field(init=False)
    out: None = None

    def __post_init__(self) -> None:
        self.config = SimpleNamespace(seed=self.seed)
        self.metrics = {"last": {"I-AUROC": self.metric, "AUPRO": self.metric}}
        # the first five iterations at 1, the last tenth at 1 + std_change
        self.steps = pd.DataFrame({"std_stage2": np.r_[np.ones(90), np.full(10, 1.0 + self.std_change)]})
        self.test_images = images(self.metric / 50, self.ratio)


class FakeStudy:
    """Runs whose values are a known function of (preset, category, seed, alpha)."""

    categories = ("brick", "grass", "gravel")
    profile = SimpleNamespace(name="demo", landscape_steps=16)

    def __init__(self, results: Path, values) -> None:
        self.results, self.values = results, values

    def claim_seeds(self, claim: str) -> tuple[int, ...]:
        return seed_plan("demo").claim_seeds(claim)

    def runs(self, preset: str, *, seeds, category=None, **overrides) -> list[FakeRun]:
        return [self.values(preset, category or "brick", s, overrides.get("alpha_end")) for s in seeds]


SEED_EFFECT = {1: 0.1, 11: -0.2, 111: 0.3, 2: 0.0, 3: 0.2, 4: -0.1, 5: 0.1, 6: 0.0, 7: -0.3, 8: 0.2}
CATEGORY = {"brick": 2.0, "grass": -1.0, "gravel": 0.5}
GAIN = {"brick": 1.0, "grass": 5.0, "gravel": -2.0}
METRIC = {"A": 80.0, "B": 84.0, "C": 70.0, "D": 80.0, "E": 85.0, "ReContrast": 88.0}


def known(preset: str, category: str, seed: int, alpha) -> FakeRun:
    """Every metric: a preset's level + the category's + a seed's wobble (alpha moves ReContrast a little)."""
    value = METRIC[preset] + CATEGORY[category] + SEED_EFFECT[seed] * (1 + list(METRIC).index(preset))
    value += GAIN[category] if preset == "ReContrast" else 0.0  # its gain over B differs by category
    value += {None: 0.0, 1.0: 0.0, 0.0: 0.4, 1.5: -0.3}[alpha]
    change = {"C": -0.2, "D": -0.01, "E": 0.0}.get(preset, 0.0) + SEED_EFFECT[seed] / 100
    ratio = {"E": 0.6, "ReContrast": 0.4}.get(preset, 0.5) + SEED_EFFECT[seed] / 100
    return FakeRun(preset, seed, value, change, ratio)


AXIS = (np.arange(16) - 8) / 64  # the zoomed plane of a 16-step grid: steps of 1 / (4 * 16) of ||theta||
CONE = np.hypot(*np.meshgrid(AXIS, AXIS, indexing="ij"))  # spread CONE.std(), minimum 0 at the centre


def cone_scale(preset: str, seed: int, plane: str) -> float:
    """Over the whole plane A's cone is the steeper (B flatter); zoomed in, B's is (sharper near its minimum)."""
    base = {"whole": {"A": 2.0, "B": 1.0}, "zoom": {"A": 1.0, "B": 2.0}}[plane][preset]
    return base + (SEED_EFFECT[seed] if preset == "A" else -SEED_EFFECT[seed]) / 10


def fake_landscapes(study, run, seed):
    return {p: Landscape(cone_scale(run.preset, seed, p) * CONE, AXIS, AXIS, centre=0.0) for p in ("whole", "zoom")}


@pytest.fixture()
def study(tmp_path, monkeypatch):
    monkeypatch.setattr(claims_module, "landscapes", fake_landscapes)
    return FakeStudy(tmp_path, known)


def expected(treatment: str, control: str | None, categories, seeds, *, field_of) -> list[float]:
    """``d`` per seed by hand: the treatment's value minus the control's, averaged over the categories."""
    out = []
    for s in seeds:
        per = [
            field_of(known(treatment, c, s, None)) - (field_of(known(control, c, s, None)) if control else 0.0)
            for c in categories
        ]
        out.append(float(np.mean(per)))
    return out


PARTS = {  # part -> (treatment, control, categories, what is read of a run)
    "C1a": ("C", None, ("brick",), lambda r: r.std_change),
    "C1b": ("D", None, ("brick",), lambda r: r.std_change),
    "C1c": ("E", None, ("brick",), lambda r: r.std_change),
    "C2a": ("B", "C", ("brick",), lambda r: r.metric),
    "C2b": ("D", "C", ("brick",), lambda r: r.metric),
    "C2c": ("E", "D", ("brick",), lambda r: r.metric),
    "C3a": ("ReContrast", "B", ("brick", "grass", "gravel"), lambda r: r.metric),
    "C3b": ("ReContrast", "B", ("brick", "grass", "gravel"), lambda r: r.metric),
    "C4": ("E", "ReContrast", ("brick",), lambda r: r.ratio),
    "C6": ("B", "A", ("brick",), lambda r: r.metric),
}


@pytest.mark.parametrize("part", sorted(PARTS))
def test_each_part_measures_the_paired_difference_by_hand(study, part):
    observed = {o.claim: o for o in measure(study)}[part]
    treatment, control, categories, field_of = PARTS[part]
    want = expected(treatment, control, categories, seed_plan("demo").claim_seeds(part[:2]), field_of=field_of)
    assert observed.values == pytest.approx(want, abs=1e-9)
    assert observed.ci.n == len(want) == observed.plan_seeds


def test_verdicts_follow_the_predicted_direction(study):
    verdicts = {o.claim: o.verdict for o in measure(study)}
    # B - C = 14, D - C = 10, E - D = 5 > -1; C falls by 20%; D's -1% and E's 0% are within 5%
    for part in ("C1a", "C1b", "C1c", "C2a", "C2b", "C2c", "C6"):
        assert verdicts[part] == REPRODUCED, part
    # ReContrast - B = 4 points > -1 on average over the categories (2, -1, 0.5 cancel in the difference)
    assert verdicts["C3a"] == verdicts["C3b"] == REPRODUCED
    # E's ratio 0.6 above ReContrast's 0.4: hard mining cools normal regions
    assert verdicts["C4"] == REPRODUCED


def _swap(run: FakeRun) -> FakeRun:
    return FakeRun({"A": "B", "B": "A"}.get(run.preset, run.preset), run.seed, run.metric)


def test_a_flipped_comparison_flips_the_verdict(tmp_path, monkeypatch):
    monkeypatch.setattr(claims_module, "landscapes", fake_landscapes)

    def reversed_world(preset, category, seed, alpha):
        run = known(preset, category, seed, alpha)
        run.metrics["last"] = {k: 200 - v for k, v in run.metrics["last"].items()}  # every ordering reversed
        run.ratio = 1.0 - run.ratio
        run.test_images = images(0.0, run.ratio)
        run.std_change = -run.std_change if preset == "C" else run.std_change - 0.2  # C rises, D and E fall
        run.steps = pd.DataFrame({"std_stage2": np.r_[np.ones(90), np.full(10, 1.0 + run.std_change)]})
        return run

    monkeypatch.setattr(claims_module, "landscapes", lambda st, run, seed: fake_landscapes(st, _swap(run), seed))
    verdicts = {o.claim: o.verdict for o in measure(FakeStudy(tmp_path, reversed_world))}
    for part in ("C2a", "C2b", "C2c", "C3a", "C3b", "C4", "C6"):
        assert verdicts[part] == NOT_REPRODUCED, part
    assert verdicts["C1a"] == NOT_REPRODUCED  # C's std now rises by 20%
    assert verdicts["C1b"] == verdicts["C1c"] == NOT_REPRODUCED  # D and E now fall by 19-20%
    assert verdicts["C5a"] == verdicts["C5b"] == NOT_REPRODUCED  # A and B's landscapes swapped


def test_pairing_is_by_seed(study):
    observed = {o.claim: o for o in measure(study)}["C6"]
    seeds = seed_plan("demo").claim_seeds("C6")
    # B - A per seed: 4 + SEED_EFFECT * (2 - 1): shuffled pairing would mix the wobbles
    assert observed.values == pytest.approx([4 + SEED_EFFECT[s] for s in seeds])


def test_a_run_of_another_seed_is_refused(tmp_path):
    def wrong_seed(preset, category, seed, alpha):
        return known(preset, category, 1 if seed == 11 else seed, alpha)

    with pytest.raises(ValueError, match="the run of seed 11 was trained with seed 1"):
        measure(FakeStudy(tmp_path, wrong_seed), "C6")


def test_alpha_claim_compares_every_pair_and_shows_the_largest(study):
    c7 = {o.claim: o for o in measure(study, "C7")}["C7"]
    seeds = seed_plan("demo").claim_seeds("C7")
    # alpha 0 is +0.4 and alpha 1.5 is -0.3 from ReContrast: the largest gap is 0 - 1.5 = 0.7
    assert "alpha 0 - 1.5" in c7.paper and c7.values == pytest.approx([0.7] * len(seeds))
    assert c7.verdict == REPRODUCED  # every gap well within 2 points


def test_landscape_claims_read_whole_and_zoomed_planes(study):
    observed = {o.claim: o for o in measure(study, "C5")}
    seeds = seed_plan("demo").claim_seeds("C5")
    spread = [(cone_scale("A", s, "whole") - cone_scale("B", s, "whole")) * CONE.std() for s in seeds]
    assert observed["C5a"].values == pytest.approx(spread) and observed["C5a"].verdict == REPRODUCED
    radius = 3.0 / (4.0 * 16)  # three zoomed steps: the nearest ring of the 16-step grid lies within it
    ring = Landscape(CONE, AXIS, AXIS, centre=0.0).rise(radius)
    rise = [(cone_scale("B", s, "zoom") - cone_scale("A", s, "zoom")) * ring for s in seeds]
    assert observed["C5b"].values == pytest.approx(rise) and observed["C5b"].verdict == REPRODUCED


def test_observe_prints_interval_direction_and_records_the_plan(study, capsys):
    rows = observe(study, "C6")
    text = capsys.readouterr().out
    assert "C6 [REPRODUCED]" in text and "95% t interval [" in text and "points the paper's way" in text
    table = pd.read_csv(study.results / "claims.csv")
    assert list(table.columns) == list(rows.columns)
    row = table.iloc[0]
    assert row.n_seeds == row.plan_seeds == 5 and row.ci_low < row.observed_mean < row.ci_high
    assert row.se_test > 0  # the paired bootstrap of the fake test images


def test_claims_table_keeps_other_rows(study):
    path = study.results / "claims.csv"
    record(measure(study, "C6"), path)
    table = record(measure(study, "C1"), path)
    assert list(table.claim) == ["C1a", "C1b", "C1c", "C6"]


def test_landscape_spread_and_rise_by_hand():
    axis = np.array([-2.0, -1.0, 0.0, 1.0])  # fractions of ||theta||; the trained weights at offset 0
    values = np.abs(axis)[:, None] + np.abs(axis)[None, :]  # a cone with its minimum 0 at the centre
    plane = Landscape(values, axis, axis, centre=0.0)
    assert plane.spread() == pytest.approx(values.std())
    assert plane.rise(1.0) == pytest.approx(1.0)  # the four neighbours at distance 1 all read 1


def test_tables_label_their_data_and_difference_only_the_same_data_set():
    demo = pd.DataFrame({"config": ["ReContrast"], "data": ["demo/brick"], "I-AUROC mean": [97.0]})
    labelled = with_paper_column(demo, "table6", metric_names={"I-AUROC": "I-AUROC_last"}, dataset="mvtec_ad")
    assert labelled["I-AUROC paper (MVTec AD average)"].iloc[0] == 99.45
    assert "I-AUROC difference" not in labelled  # demo/brick vs MVTec AD: no difference is computed
    assert mean_std([1.0, 2.0, 3.0]) == {"mean": 2.0, "std": 1.0, "n": 3}


def test_every_claim_of_the_plan_is_printed_by_a_notebook():
    import json
    import re

    printed: set[str] = set()
    for path in sorted(Path(__file__).resolve().parent.parent.glob("notebooks/*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        for call in re.findall(r"observe\(ctx((?:, \"C\d\")+)\)", code):
            printed.update(re.findall(r"C\d", call))
    assert printed == set(CLAIMS)


def _forest_row(claim: str, mean: float, low: float, high: float) -> dict:
    part = next(p for c in CLAIMS.values() for p in c.parts if p.name == claim)
    return {
        "claim": claim,
        "rule": part.rule,
        "tolerance": part.tolerance,
        "predicts": part.predicts,
        "observed_mean": mean,
        "ci_low": low,
        "ci_high": high,
        "ci_level": 0.95,
        "n_seeds": 3,
        "verdict": "reproduced",
    }


def test_the_forest_plot_shades_the_side_the_paper_predicts():
    """C1a predicts a fall (d < 0, sign -1), C6 a rise, C2c at least -1, C7 a band: the green span of each panel
    lies on that side of the dashed boundary."""
    import matplotlib.pyplot as plt

    from rclib.paper.forest import plot_forest

    rows = [
        _forest_row("C1a", -0.2, -0.25, -0.15),
        _forest_row("C6", 1.0, 0.5, 1.5),
        _forest_row("C2c", 4.0, 3.0, 5.0),
        _forest_row("C7", 0.5, -0.5, 1.5),
    ]
    fig = plot_forest(pd.DataFrame(rows))
    spans = {}
    for ax, row in zip(fig.axes, rows, strict=True):
        (patch,) = ax.patches
        x0, x1 = patch.get_x(), patch.get_x() + patch.get_width()
        spans[row["claim"]] = (float(min(x0, x1)), float(max(x0, x1)))
    plt.close(fig)
    assert spans["C1a"][1] == pytest.approx(0.0) and spans["C1a"][0] < -0.25  # left of 0
    assert spans["C6"][0] == pytest.approx(0.0) and spans["C6"][1] > 1.5  # right of 0
    assert spans["C2c"][0] == pytest.approx(-1.0)  # right of -tolerance
    assert spans["C7"] == pytest.approx((-2.0, 2.0))  # the band
    assert {p.name: p.predicts for c in CLAIMS.values() for p in c.parts}["C1a"] == "below"


def _curve(seed: int, auroc: list[float], ratio: list[float]) -> SimpleNamespace:
    history = pd.DataFrame(
        {"iteration": [50, 100, 150, 200][: len(auroc)], "I-AUROC": auroc, "normal/defect": ratio[: len(auroc)]}
    )
    return SimpleNamespace(history=history, config=SimpleNamespace(seed=seed))


def test_after_the_peak_reads_the_fall_and_the_ratio_at_the_peak():
    from rclib.paper.measures import after_the_peak, shortcut_words

    runs = {
        "D": [_curve(1, [80, 90, 85, 84], [0.6, 0.5, 0.55, 0.7]), _curve(11, [70, 75, 80, 86], [0.7, 0.6, 0.6, 0.5])],
        "E": [_curve(1, [80, 90, 84, 90], [0.6, 0.6, 0.5, 0.5])],  # a tie: the later peak counts
    }
    table = after_the_peak(runs).set_index(["preset", "seed"])
    assert table.loc[("D", 1), "peak at"] == 100 and table.loc[("D", 1), "fall"] == pytest.approx(6.0)
    assert table.loc[("D", 1), "normal/defect at peak"] == 0.5 and table.loc[("D", 1), "normal/defect at end"] == 0.7
    assert table.loc[("D", 11), "fall"] == 0 and table.loc[("E", 1), "peak at"] == 200
    table = table.reset_index()
    words = shortcut_words(table, "D")
    assert words.startswith("D's score falls more than 3 points after its peak in 1 of 2 seeds (by 6.0 on average)")
    assert "in 1 of those its normal/defect ratio rises by more than 0.05: not the shortcut's signature" in words
    assert "no shortcut" in shortcut_words(table, "E")
    assert "no shortcut" in shortcut_words(table, "D", points=6.0)  # a fall of exactly the threshold does not count
    with pytest.raises(ValueError, match="no runs of 'C'"):
        shortcut_words(table, "C")


def test_shortcut_words_need_the_rise_in_every_seed_that_fell():
    from rclib.paper.measures import after_the_peak, shortcut_words

    rises = {"D": [_curve(s, [80, 90, 85, 84], [0.6, 0.5, 0.55, 0.6]) for s in (1, 2)]}  # the ratio rises by 0.1
    assert "in every one its normal/defect ratio rises by more than 0.05: the shortcut's signature" in (
        shortcut_words(after_the_peak(rises))
    )
    assert "in none of those" in shortcut_words(after_the_peak(rises), rise=0.1)  # a rise of exactly 0.1 does not
    flat = {"D": [_curve(1, [80, 90, 85, 84], [0.6, 0.5, 0.5, 0.4]), _curve(2, [80, 90, 89, 89], [0.6, 0.5, 0.5, 0.9])]}
    words = shortcut_words(after_the_peak(flat))  # only the seed that fell by less than 3 has its ratio rise
    assert "in 1 of 2 seeds" in words and "in none of those does its normal/defect ratio rise" in words
    masks_missing = SimpleNamespace(history=pd.DataFrame({"iteration": [50], "I-AUROC": [80]}), out="r")
    with pytest.raises(ValueError, match="pixel masks"):
        after_the_peak({"D": [masks_missing]})


def _scored(seed: int, auroc: list[float]) -> SimpleNamespace:
    run = _curve(seed, auroc, [0.5] * 4)
    run.metrics = {"last": {"I-AUROC": auroc[-1]}}
    return run


def test_stability_reads_the_spread_over_seeds_and_the_largest_drop():
    from rclib.paper.measures import stability, stability_words

    runs = {
        "A": [_scored(1, [60, 90, 84, 92]), _scored(2, [60, 80, 88, 86]), _scored(3, [60, 90, 91, 89])],
        "B": [_scored(1, [80, 90, 91, 90]), _scored(2, [80, 91, 92, 91]), _scored(3, [80, 90, 92, 92])],
    }
    table = stability(runs)
    assert table.loc["A", "last I-AUROC mean"] == pytest.approx(89.0)
    assert table.loc["A", "last I-AUROC std over seeds"] == pytest.approx(3.0)  # 92, 86, 89
    assert table.loc["B", "last I-AUROC std over seeds"] == pytest.approx(1.0)  # 90, 91, 92
    assert table.loc["A", "largest drop between evaluations"] == pytest.approx(6.0)  # 90 -> 84, not 92 - 84
    assert table.loc["B", "largest drop between evaluations"] == pytest.approx(1.0)
    assert table.loc["A", "seeds with a drop > 3"] == 1 and table.loc["B", "seeds with a drop > 3"] == 0
    # F(2, 2) at a variance ratio of 9 has a tail of 1 / (1 + 9): wider for A, not told apart at 3 seeds
    words = stability_words(table, "A", "B")
    assert "A's last score spreads 3.00 points over 3 seeds, B's 1.00" in words
    assert "3 seeds cannot tell the two spreads apart (F-test p = 0.10)" in words
    assert "its largest drop between two evaluations (6.0) is larger than B's (1.0)" in words
    assert "B is not the less stable over seeds here" in stability_words(table, "B", "A")
    assert "(1.0) is not larger than A's (6.0)" in stability_words(table, "B", "A")
    with pytest.raises(ValueError, match="no runs of 'C'"):
        stability_words(table, "C", "B")


def test_stability_words_say_less_stable_only_when_the_f_test_passes():
    from rclib.paper.measures import stability_words

    def table(spread_a: float, spread_b: float, seeds: int) -> pd.DataFrame:
        rows = {
            "seeds": [seeds, seeds],
            "last I-AUROC std over seeds": [spread_a, spread_b],
            "largest drop between evaluations": [2.0, 1.0],
        }
        return pd.DataFrame(rows, index=pd.Index(["A", "B"], name="preset"))

    assert "A is the less stable over seeds (F-test p = 0.002)" in stability_words(table(3.0, 0.5, 5))  # F(4,4) = 36
    assert "A is the less stable over seeds (F-test p = 0.000)" in stability_words(table(1.0, 0.0, 5))  # B constant
    assert "cannot be measured" in stability_words(table(1.0, 0.5, 1))
