"""The results cache never mixes configurations or data; the notebook batch survives a failing notebook."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd

from rclib import get_preset
from rclib.batch.reproduce import reproduce
from rclib.data import DemoSpec, data_fingerprint, write_demo_data
from rclib.runs import RunSpec
from rclib.runs.cache import cache_key, cached_run, run_folder


def _key(config, *, dataset="demo", category="brick", data="f1", pretrained=True) -> str:
    return cache_key(RunSpec(config, dataset, Path("unused"), category, pretrained, data))


def test_cache_key_changes_with_every_ingredient():
    c = get_preset("B")
    base = _key(c)
    variants = [
        _key(get_preset("C")),
        _key(c.replace(backbone="resnet18")),
        _key(c.replace(image_size=128)),
        _key(c.replace(iterations=10)),
        _key(c.replace(batch_size=4)),
        _key(c.replace(seed=1)),
        _key(c, dataset="mvtec_ad"),
        _key(c, category="grass"),
        _key(c, data="f2"),
        _key(c, pretrained=False),
    ]
    assert len({base, *variants}) == len(variants) + 1
    assert _key(c.replace(device="cpu", num_workers=2)) == base  # how, not what


def test_changing_demo_data_invalidates_runs(tmp_path):
    a = write_demo_data(
        tmp_path / "a", DemoSpec(size=48, n_train=3, n_test_good=2, n_per_defect=1), categories=("brick",)
    )
    b = write_demo_data(
        tmp_path / "b", DemoSpec(size=48, n_train=3, n_test_good=2, n_per_defect=1, contrast=0.5), categories=("brick",)
    )
    assert data_fingerprint(a / "brick") != data_fingerprint(b / "brick")
    c = get_preset("B")
    assert run_folder(tmp_path, RunSpec(c, "demo", a, "brick")) != run_folder(tmp_path, RunSpec(c, "demo", b, "brick"))


def test_cached_run_is_reused(demo_root, tmp_path):
    c = get_preset("B", backbone="efficientnet_lite0", image_size=64, iterations=2, batch_size=4, eval_every=2)
    first = cached_run(RunSpec(c, "demo", demo_root, "brick"), tmp_path, progress=False)
    stamp = (first.out / "metrics.json").stat().st_mtime_ns
    again = cached_run(RunSpec(c, "demo", demo_root, "brick"), tmp_path, progress=False)
    assert again.metrics == first.metrics and (first.out / "metrics.json").stat().st_mtime_ns == stamp
    other = cached_run(RunSpec(c.replace(seed=5), "demo", demo_root, "brick"), tmp_path, progress=False)
    assert other.out != first.out


def _notebook(path: Path, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell('profile = "demo"\nprogress = True', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ]
    nbformat.write(nb, path)


def test_batch_continues_past_a_failing_notebook(tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _notebook(nbs / "01_fails.ipynb", "raise RuntimeError('boom')")
    _notebook(nbs / "02_works.ipynb", "assert profile == 'smoke'")
    rc = reproduce(
        profile="smoke", notebooks_dir=nbs, build_dir=tmp_path / "build", results_root=tmp_path / "results", timeout=120
    )
    assert rc == 1
    summary = pd.read_csv(tmp_path / "results" / "smoke" / "reproduce_summary.csv")
    status = dict(zip(summary.notebook, summary.status, strict=True))
    assert status["01_fails.ipynb"] == "failed" and status["02_works.ipynb"] == "ok"
    assert "RuntimeError: boom" in summary.set_index("notebook").loc["01_fails.ipynb", "error"]
    kept = json.loads((tmp_path / "build" / "smoke" / "01_fails.ipynb").read_text())
    assert any("boom" in json.dumps(c.get("outputs", [])) for c in kept["cells"])  # the executed copy keeps the error
