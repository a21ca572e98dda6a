"""Claims as computations: the noise rule on hand-computed values, the measured quantities, and the tables'
honest labels (the paper's value beside the demo's, a difference only on the same data set)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rclib.paper.claims import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    Observation,
    combine,
    judge_at_least,
    judge_effect,
    judge_within,
    record,
    report,
)
from rclib.paper.landscape import Landscape
from rclib.paper.reports import mean_std, with_paper_column
from rclib.scoring.metrics import normal_to_defect_ratio


def test_effect_rule_by_hand():
    # mean 3, std 0.5, se 0.2887: 3 - 0.577 > 0
    assert judge_effect([2.5, 3.0, 3.5]) == REPRODUCED
    assert judge_effect([-2.5, -3.0, -3.5]) == NOT_REPRODUCED
    # mean 1, std 3, se 1.732: 1 - 3.46 < 0 < 1 + 3.46
    assert judge_effect([-2.0, 1.0, 4.0]) == INCONCLUSIVE
    assert judge_effect([5.0]) == INCONCLUSIVE  # one seed: no standard error, no verdict


def test_at_least_and_within_rules_by_hand():
    # mean -0.5, se 0.2887: -0.5 - 0.577 = -1.077 < -1 and -0.5 + 0.577 > -1 -> inconclusive at tol 1
    assert judge_at_least([-1.0, -0.5, 0.0], 1.0) == INCONCLUSIVE
    assert judge_at_least([-1.0, -0.5, 0.0], 1.2) == REPRODUCED
    assert judge_at_least([-3.0, -3.5, -2.5], 1.0) == NOT_REPRODUCED
    assert judge_within([0.1, -0.1, 0.0], 2.0) == REPRODUCED
    assert judge_within([5.0, 5.5, 4.5], 2.0) == NOT_REPRODUCED
    assert judge_within([1.0, 3.0, 2.0], 2.0) == INCONCLUSIVE


def test_combining_parts():
    assert combine([REPRODUCED, REPRODUCED]) == REPRODUCED
    assert combine([REPRODUCED, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine([INCONCLUSIVE, NOT_REPRODUCED]) == NOT_REPRODUCED


def test_claims_table_keeps_other_rows_and_has_the_columns(tmp_path):
    path = tmp_path / "claims.csv"
    record([Observation("C6", "02", "B beats A", (1.0, 2.0, 3.0), REPRODUCED)], path)
    table = record([Observation("C1a", "03", "C collapses", (-0.2, -0.3, -0.25), REPRODUCED)], path)
    assert list(table.columns) == ["claim", "notebook", "paper", "observed_mean", "observed_std", "n_seeds", "verdict"]
    assert list(pd.read_csv(path).claim) == ["C1a", "C6"]
    assert pd.read_csv(path).set_index("claim").loc["C6", "observed_std"] == pytest.approx(1.0)
    text = report([Observation("C6", "02", "B beats A", (1.0, 2.0, 3.0), REPRODUCED)])
    assert "C6 [REPRODUCED] B beats A" in text and "observed 2 +- 1" in text


def test_normal_to_defect_ratio_by_hand():
    maps = np.array([[[1.0, 1.0], [3.0, 3.0]]])
    masks = np.array([[[False, False], [True, True]]])
    assert normal_to_defect_ratio(maps, masks) == pytest.approx(1 / 3)


def test_landscape_spread_and_rise_by_hand():
    axis = np.array([-2.0, -1.0, 0.0, 1.0])  # fractions of ||theta||; the trained weights at offset 0
    values = np.abs(axis)[:, None] + np.abs(axis)[None, :]  # a cone with its minimum 0 at the centre
    plane = Landscape(values, axis, axis, centre=0.0)
    assert plane.spread() == pytest.approx(values.std())
    assert plane.rise(1.0) == pytest.approx(1.0)  # the four neighbours at distance 1 all read 1


def test_tables_label_their_data_and_difference_only_the_same_data_set():
    demo = pd.DataFrame({"config": ["ReContrast"], "data": ["demo/brick"], "I-AUROC mean": [97.0]})
    labelled = with_paper_column(demo, "table6", {"I-AUROC": "I-AUROC_last"}, "mvtec_ad")
    assert labelled["I-AUROC paper (MVTec AD average)"].iloc[0] == 99.45
    assert "I-AUROC difference" not in labelled  # demo/brick vs MVTec AD: no difference is computed
    s = mean_std([1.0, 2.0, 3.0])
    assert s == {"mean": 2.0, "std": 1.0, "n": 3}


def test_feature_collapse_measure():
    from rclib.paper.claims import relative_std_change

    class FakeRun:
        steps = pd.DataFrame({"std_stage2": np.r_[np.full(5, 0.2), np.linspace(0.2, 0.1, 95)]})

    last_tenth = np.linspace(0.2, 0.1, 95)[-10:].mean()  # 100 iterations: the last 10 against the first 5
    assert relative_std_change(FakeRun()) == pytest.approx(last_tenth / 0.2 - 1)


def test_each_claim_is_measured_over_the_seeds_of_every_notebook_that_prints_it():
    import json
    import re
    from pathlib import Path

    from rclib.paper.claims import CLAIMS, NOTEBOOK
    from rclib.paper.profiles import PROFILES

    printed_in: dict[str, set[str]] = {c: set() for c in CLAIMS}
    for path in sorted(Path(__file__).resolve().parent.parent.glob("notebooks/*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        for call in re.findall(r"observe\(ctx((?:, \"C\d\")+)\)", code):
            for claim in re.findall(r"C\d", call):
                printed_in[claim].add(path.name[:2])
    assert set(NOTEBOOK) == set(CLAIMS)
    for claim, notebooks in printed_in.items():
        assert NOTEBOOK[claim] in notebooks, f"{claim} is printed in {sorted(notebooks)}, not in {NOTEBOOK[claim]}"
        for profile in PROFILES.values():
            assert {profile.seeds_for(n) for n in notebooks} == {profile.seeds_for(NOTEBOOK[claim])}, claim
    demo = PROFILES["demo"]
    assert len(demo.seeds) >= 3 and all(demo.seeds_for(n)[: len(demo.seeds)] == demo.seeds for n in ("02", "08"))
    assert len(demo.seeds_for("08")) == len(demo.seeds_for("02")) == 5  # C3 and C6: two seeds more (profiles.py)
