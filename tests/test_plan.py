"""The analysis plan is the one declaration everything reads: its seed counts are its power calculation, its demo
data is the calibration made on Config B alone, and nothing else names a seed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from rclib.paper.plan import DEMO_DATA, DEMO_STRENGTH, DEMO_TEST, SEED_PLANS, power_table
from rclib.paper.profiles import get_profile
from rclib.paper.results import precomputed

ROOT = Path(__file__).resolve().parent.parent


def test_seed_counts_are_the_power_calculation():
    assert power_table().groupby("claim").seeds.max().to_dict() == SEED_PLANS["demo"].claims


def test_demo_data_is_the_calibration_on_config_b():
    calibration = precomputed("demo_calibration")
    chosen = calibration[calibration.chosen]
    assert dict(DEMO_STRENGTH) == dict(zip(chosen.category, chosen.strength, strict=True))
    assert (chosen["test images"] == DEMO_TEST["n_test_good"] + 5 * DEMO_TEST["n_per_defect"]).all()
    assert get_profile("demo").demo_spec == DEMO_DATA
    # B's I-AUROC at the chosen strength is neither at the ceiling nor near chance
    assert chosen["B I-AUROC mean"].between(70, 95).all()
    # and the test set does not drown a difference: the paired test-sampling error is at most a point
    assert (chosen["paired bootstrap se"] <= 1.0).all()


def test_no_notebook_names_a_seed():
    """Seeds come from the plan (ctx.story_seeds, ctx.claim_seeds): a literal seed in a notebook's code is a second
    declaration that renumbering or editing could silently change."""
    literal = re.compile(r"\bseeds?\s*=\s*[\[(]?\s*\d|seed\s*=\s*\d")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert not literal.search(code), f"{path.name} names a seed: {literal.search(code).group(0)}"


def test_nothing_in_the_package_reads_the_repository():
    """No path climbs out of the installed package: the package and the notebooks read only the package, the
    user's data and results folders (their defaults are the notebooks' parameters)."""
    for path in sorted((ROOT / "rclib").rglob("*.py")):
        text = path.read_text()
        assert "benchmarks/results" not in text and '"../' not in text.replace('"../results"', "").replace(
            '"../figures"', ""
        ).replace('"../data"', ""), path
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert "../benchmarks" not in path.read_text(), path


def test_calibration_never_trains_recontrast():
    source = (ROOT / "benchmarks" / "calibrate_demo.py").read_text()
    assert '"ReContrast"' not in source and 'profile_config(demo, "B"' in source
    assert set(pd.read_csv(ROOT / "rclib/paper/precomputed/demo_calibration.csv").category) == {
        "brick",
        "grass",
        "gravel",
    }


def test_run_times_measured_under_another_plan_say_so(monkeypatch):
    import pandas as pd

    from rclib.course import notebook
    from rclib.paper.plan import plan_signature

    def times(plan: str) -> pd.DataFrame:
        return pd.DataFrame([{"notebook": "03_x.ipynb", "smoke_s": 6.0, "demo_s": 60.0, "machine": "m", "plan": plan}])

    monkeypatch.setattr(notebook, "precomputed", lambda name: times(plan_signature()))
    assert notebook.run_times("03_x") == (
        "run time of this notebook, measured on m: smoke 0.1 min, demo 1.0 min (cold; cached runs make reruns faster)"
    )
    monkeypatch.setattr(notebook, "precomputed", lambda name: times("seeds C1:3; test set 50 normal"))
    assert "timed under an earlier analysis plan" in notebook.run_times("03_x")
    assert "C3:7" in plan_signature() and "500 normal" in plan_signature()
