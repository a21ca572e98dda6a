"""Every notebook runs under papermill with profile=smoke and writes the figures and tables it promises."""

from __future__ import annotations

import json
from pathlib import Path

import papermill as pm
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXPECTED = {
    "00_quickstart": ["figures/quickstart_anomaly_maps.png"],
    "01_config_A_reverse_distillation": ["figures/fig5a_config_A.pdf"],
    "02_config_B_global_cosine": ["figures/fig5a_training_curves_A_B.png"],
    "03_config_C_training_the_encoder": ["figures/fig5b_feature_std_B_C.png"],
    "04_config_D_stop_gradient": ["figures/fig5a_training_curves.png", "figures/fig5b_feature_std.png"],
    "05_config_E_contrastive_pairs": ["figures/fig2b_six_distance_maps.png"],
    "06_hard_normal_mining": ["figures/fig5c_hard_mining_maps.png", "results/tables/tableA4_alpha.csv"],
    "07_ablation_table6": ["results/tables/table6_ablation.csv", "results/tables/table6_ablation.md"],
    "08_industrial_tables": ["results/tables/table1_mvtec_detection.csv", "results/tables/table3_visa.csv"],
    "09_medical_table5": ["results/tables/table5_medical.csv"],
    "10_backbones_and_maps": ["results/tables/tableA5_backbones.csv", "results/tables/tableA6_map_pairs.csv"],
    "11_smap_landscape": ["figures/fig4_smap_landscape.png"],
    "12_limitations": ["figures/appE_bn_modes.png", "results/tables/tableA7_loco.csv"],
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """One results/figures/data tree for all notebooks, so they share cached runs as in a real batch."""
    return tmp_path_factory.mktemp("nb")


def test_every_notebook_is_listed():
    assert [p.stem for p in NOTEBOOKS] == list(EXPECTED)


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_smoke_profile(path: Path, workdir: Path):
    params = {"profile": "smoke", "progress": False, "results_root": str(workdir / "results"),
              "figures_root": str(workdir / "figures"), "data_dir": str(workdir / "data")}
    pm.execute_notebook(str(path), str(workdir / path.name), parameters=params, kernel_name="python3",
                        cwd=str(path.parent), progress_bar=False)
    for rel in EXPECTED[path.stem]:
        top, name = rel.split("/", 1)
        target = workdir / top / "smoke" / name
        assert target.exists() and target.stat().st_size > 0, f"{path.stem} did not write {target}"


def test_wrong_parameter_type_fails_clearly(tmp_path: Path):
    nb = NOTEBOOKS[1]
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(nb), str(tmp_path / nb.name), parameters={"profile": "smoke", "seed": "one"},
                            kernel_name="python3", cwd=str(nb.parent), progress_bar=False)
    assert err.value.ename == "NotebookParameterError"
    assert "notebook parameter 'seed' must be int, got str 'one'" in err.value.evalue


def test_committed_notebooks_are_clean():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        assert nb["metadata"]["kernelspec"]["name"] == "python3", path
        cells = nb["cells"]
        assert not any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"), f"{path} has outputs"
        tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{path} needs exactly one cell tagged 'parameters'"
        assert 'profile: str = os.environ.get("RCLIB_PROFILE", "demo")' in "".join(tagged[0]["source"])
