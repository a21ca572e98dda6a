"""``rclib export``: the ONNX and TorchScript scoring graphs give rclib's maps and scores, carry their metadata, and
the README's ONNX Runtime example scores an image without rclib."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from rclib import fit, get_preset
from rclib.cli import main
from rclib.data import ImageTransform, load_rgb, write_demo_folder
from rclib.runs.run import load_run
from rclib.scoring import score

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def exported(demo_root, tmp_path_factory) -> dict:
    """A tiny run on the demo's bricks exported in both formats through the command line."""
    base = tmp_path_factory.mktemp("export")
    own = write_demo_folder(base / "bricks", demo_root)
    config = get_preset("ReContrast", backbone="efficientnet_lite0", image_size=64, iterations=2, batch_size=4)
    with pytest.warns(UserWarning, match="calibration image"):
        fit(config.replace(eval_every=2), own, "bricks", out=base / "run", progress=False, dataset="folder")
    assert main(["export", "--run", str(base / "run"), "--format", "onnx"]) == 0
    assert main(["export", "--run", str(base / "run"), "--format", "torchscript", "--out", str(base / "m.pt")]) == 0
    images = sorted((own / "test").rglob("*.png"))[:3]  # 3: another batch size than the export's example
    return {"run": base / "run", "onnx": base / "run" / "model.onnx", "torchscript": base / "m.pt", "images": images}


def _rclib_scores(run_dir: Path, images: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    run = load_run(run_dir, device="cpu")
    transform = ImageTransform(run.config.image_size, run.config.crop_size)
    maps, scores = score(run.model, torch.stack([transform.image(load_rgb(p)) for p in images]))
    return maps.numpy(), scores.numpy()


def _uint8_inputs(images: list[Path], size: int) -> np.ndarray:
    """The graphs' input: RGB resized to the input size with PIL's bilinear filter, N x 3 x S x S uint8."""
    resized = [np.asarray(load_rgb(p).resize((size, size), Image.Resampling.BILINEAR)) for p in images]
    return np.stack(resized).transpose(0, 3, 1, 2).copy()


def test_onnx_runtime_gives_rclibs_maps_and_scores(exported):
    maps, scores = _rclib_scores(exported["run"], exported["images"])
    session = ort.InferenceSession(str(exported["onnx"]), providers=["CPUExecutionProvider"])
    onnx_maps, onnx_scores = session.run(["maps", "scores"], {"images": _uint8_inputs(exported["images"], 64)})
    assert onnx_maps.shape == maps.shape == (3, 64, 64)
    np.testing.assert_allclose(onnx_maps, maps, rtol=0, atol=1e-4)
    np.testing.assert_allclose(onnx_scores, scores, rtol=0, atol=1e-4)
    meta = session.get_modelmeta().custom_metadata_map
    recorded = json.loads((exported["run"] / "threshold.json").read_text())
    assert meta["image_size"] == meta["input_size"] == "64" and json.loads(meta["mean"]) == [0.485, 0.456, 0.406]
    assert json.loads(meta["thresholds"]) == recorded and json.loads(meta["config"])["backbone"] == "efficientnet_lite0"


def test_torchscript_gives_rclibs_maps_and_scores(exported):
    maps, scores = _rclib_scores(exported["run"], exported["images"])
    extra = {"rclib.json": ""}
    graph = torch.jit.load(str(exported["torchscript"]), _extra_files=extra)
    ts_maps, ts_scores = graph(torch.from_numpy(_uint8_inputs(exported["images"], 64)))
    np.testing.assert_allclose(ts_maps.numpy(), maps, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ts_scores.numpy(), scores, rtol=0, atol=1e-4)
    meta = json.loads(extra["rclib.json"])
    assert json.loads(meta["thresholds"])["pixel"]["value"] > 0 and meta["input"].startswith("images: uint8 RGB")


def _readme_example() -> str:
    section = README.read_text().split("### Export", 1)[1].split("\n## ", 1)[0]
    return next(block for block in re.findall(r"```python\n(.*?)```", section, re.S) if "onnxruntime" in block)


def test_the_readmes_onnx_runtime_example_scores_an_image_without_rclib(exported, tmp_path):
    code = _readme_example()
    assert "rclib" not in re.sub(r"#.*", "", code.replace("model.onnx", "")), "the example must not import rclib"
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    shutil.copy(exported["onnx"], tmp_path / "runs" / "mine" / "model.onnx")
    shutil.copy(exported["images"][-1], tmp_path / "photo.png")
    proc = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    _, scores = _rclib_scores(exported["run"], exported["images"][-1:])
    raw = float(re.search(r"score ([\d.]+)", proc.stdout).group(1))
    assert raw == pytest.approx(float(scores[0]), abs=1e-3) and re.search(r"(normal|anomalous)", proc.stdout)


def test_export_refuses_to_overwrite_and_bad_input_is_one_line(exported, tmp_path, capsys):
    before = exported["onnx"].read_bytes()
    cases = {
        ("--run", str(exported["run"]), "--format", "onnx"): r"model.onnx' exists: pass --overwrite to replace it",
        ("--run", str(exported["run"]), "--format", "tflite"): r"argument --format: invalid choice: 'tflite'",
        ("--run", str(tmp_path), "--format", "onnx"): r"is not a finished run directory",
        ("--run", str(exported["run"]), "--format", "onnx", "--out", str(tmp_path)): r"is a folder: expected the path",
    }
    for argv, message in cases.items():
        assert main(["export", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("rclib: error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert exported["onnx"].read_bytes() == before
