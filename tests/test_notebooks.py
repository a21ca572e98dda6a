"""Every notebook runs under papermill with profile=smoke and writes the figures and tables it promises."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest
from conftest import NOTEBOOKS, SmokeNotebooks

EXPECTED = {
    "00_quickstart": ["figures/quickstart_anomaly_maps.png", "figures/quickstart_score_distributions.png"],
    "01_config_A_reverse_distillation": ["figures/fig5a_config_A.pdf"],
    "02_config_B_global_cosine": ["figures/fig5a_training_curves_A_B.png", "results/claims.csv"],
    "03_config_C_training_the_encoder": ["figures/fig5b_feature_std_B_C.png"],
    "04_config_D_stop_gradient": ["figures/fig5a_training_curves.png", "figures/fig5b_feature_std.png"],
    "05_config_E_contrastive_pairs": ["figures/fig2b_six_distance_maps.png", "figures/fig5b_feature_std_all.png"],
    "06_hard_normal_mining": [
        "figures/fig5c_hard_mining_maps.png",
        "figures/hard_mining_alpha.png",
        "results/tables/tableA4_alpha.csv",
    ],
    "07_ablation_table6": ["results/tables/table6_ablation.csv", "figures/table6_heatmap.png"],
    "08_industrial_tables": ["results/tables/table1_mvtec_detection.md", "results/tables/table4_unified.csv"],
    "09_medical_table5": ["results/tables/table5_aptos.md"],
    "10_backbones_and_maps": ["results/tables/tableA5_backbones.csv", "results/tables/tableA6_map_pairs.csv"],
    "11_smap_landscape": ["figures/fig4_smap_landscape.png", "figures/fig4_smap_landscape_zoom.png"],
    "12_limitations": ["figures/appE_bn_modes.png", "results/tables/tableA7_loco.md"],
    "13_your_own_data": ["figures/your_own_data_predictions.png"],
    "14_what_reproduced": ["figures/forest_claims.png"],
}


def test_every_notebook_is_listed():
    assert [p.stem for p in NOTEBOOKS] == list(EXPECTED)


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_smoke_profile(path: Path, smoke_notebooks: SmokeNotebooks):
    run = smoke_notebooks.execute(path)
    assert run.error is None, f"{path.stem} failed under papermill:\n{run.error}"
    for rel in EXPECTED[path.stem]:
        top, name = rel.split("/", 1)
        target = smoke_notebooks.root / top / "smoke" / name
        assert target in run.present and target.stat().st_size > 0, f"{path.stem} did not write {target}"
    figures = smoke_notebooks.root / "figures" / "smoke"
    for png in (p for p in run.written if p.parent == figures and p.suffix == ".png"):
        sidecar = png.with_suffix(".json")
        assert sidecar.exists(), f"{path.stem} saved {png.name} without rclib's savefig (no sidecar)"
        record = json.loads(sidecar.read_text())
        assert record["caption"], f"{path.stem} saved {png.name} without a caption"
        assert not record["layout_problems"], f"{path.stem}: {png.name} not fit to print: {record['layout_problems']}"


def test_wrong_parameter_type_fails_clearly(tmp_path: Path):
    nb = NOTEBOOKS[1]
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(
            str(nb),
            str(tmp_path / nb.name),
            parameters={"profile": "smoke", "seed": "one"},
            kernel_name="python3",
            cwd=str(nb.parent),
            progress_bar=False,
        )
    assert err.value.ename == "NotebookParameterError"
    assert "notebook parameter 'seed' must be int, got str 'one'" in err.value.evalue


# every parameter a notebook accepted before the parameters cell was reduced to `profile`, with a value to pass
PARAMETERS = {
    "profile": "smoke",
    "dataset": "demo",
    "categories": ["gravel", "brick"],
    "backbone": "resnet18",
    "seed": 7,
    "seeds": [1, 2],
    "device": "cpu",
    "progress": False,
    "recompute": True,
    "results_root": "R",
    "figures_root": "F",
    "data_dir": "D",
}


@pytest.mark.parametrize("name", [*PARAMETERS, "data_root"])
def test_every_parameter_reaches_the_context(name, demo_root, tmp_path):
    """papermill injects the parameter after the parameters cell; ``setup(globals())`` must pick it up."""
    value = str(demo_root) if name == "data_root" else PARAMETERS[name]
    base = {"profile": "smoke", "data_root": str(demo_root)}
    out = tmp_path / "prepared.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS[1]),
        str(out),
        parameters={**base, name: value},
        prepare_only=True,
        kernel_name="python3",
        progress_bar=False,
    )
    cells = json.loads(out.read_text())["cells"]
    namespace: dict = {}
    for cell in cells:  # up to and including the set-up cell, in-process
        if cell["cell_type"] == "code":
            exec("".join(cell["source"]), namespace)
            if "setup(globals()" in "".join(cell["source"]):
                break
    ctx = namespace["ctx"]
    seen = {
        "profile": ctx.profile.name,
        "dataset": ctx.dataset,
        "categories": list(ctx.categories),
        "backbone": ctx.backbone,
        "seed": ctx.seed,
        "seeds": list(ctx.seeds),
        "device": ctx.device,
        "progress": ctx.progress,
        "recompute": ctx.recompute,
        "results_root": ctx.results.parent.name,
        "figures_root": ctx.figures.parent.name,
        "data_dir": ctx.data_dir.name,
        "data_root": str(ctx.data_root),
    }
    assert seen[name] == value


def test_committed_notebooks_are_clean():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3", path
        cells = nb["cells"]
        assert not any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"), (
            f"{path} has outputs"
        )
        tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path} needs exactly one cell tagged 'parameters'"
        assert 'profile: str = os.environ.get("RCLIB_PROFILE", "demo")' in "".join(tagged[0]["source"])


def test_seeds_come_from_the_plan_whatever_the_notebook(demo_root):
    from rclib.course import setup
    from rclib.paper.plan import seed_plan

    plan = seed_plan("demo")
    common = {"profile": "demo", "data_root": str(demo_root)}
    ctx = setup(notebook="08_industrial_tables", **common)
    renamed = setup(notebook="99_renamed", **common)
    assert ctx.story_seeds == renamed.story_seeds == plan.story_seeds()
    assert ctx.claim_seeds("C3") == renamed.claim_seeds("C3") == plan.claim_seeds("C3")
    given = setup(notebook="08_industrial_tables", seeds=[7], **common)  # a parameter still wins, everywhere
    assert given.story_seeds == given.claim_seeds("C3") == (7,)
