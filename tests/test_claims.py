"""Claims as computations: the noise rule on hand-computed values, the measured quantities, and the tables'
honest labels (the paper's value beside the demo's, a difference only on the same data set)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rclib.paper.claims import Observation, record, report
from rclib.paper.landscape import Landscape
from rclib.paper.stats import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    combine,
    judge_at_least,
    judge_effect,
    judge_within,
)
from rclib.paper.tables import mean_std, with_paper_column
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
    record([Observation("C6", "B beats A", (1.0, 2.0, 3.0), REPRODUCED)], path)
    table = record([Observation("C1a", "C collapses", (-0.2, -0.3, -0.25), REPRODUCED)], path)
    assert list(table.columns) == ["claim", "paper", "observed_mean", "observed_std", "n_seeds", "verdict"]
    assert list(pd.read_csv(path).claim) == ["C1a", "C6"]
    assert pd.read_csv(path).set_index("claim").loc["C6", "observed_std"] == pytest.approx(1.0)
    text = report([Observation("C6", "B beats A", (1.0, 2.0, 3.0), REPRODUCED)])
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
    labelled = with_paper_column(demo, "table6", metric_names={"I-AUROC": "I-AUROC_last"}, dataset="mvtec_ad")
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


def test_every_claim_of_the_plan_is_printed_by_a_notebook():
    import json
    import re
    from pathlib import Path

    from rclib.paper.plan import CLAIMS

    printed: set[str] = set()
    for path in sorted(Path(__file__).resolve().parent.parent.glob("notebooks/*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        for call in re.findall(r"observe\(ctx((?:, \"C\d\")+)\)", code):
            printed.update(re.findall(r"C\d", call))
    assert printed == set(CLAIMS)
