"""Your own images: a generic folder with or without masks, a recorded threshold, ``rclib predict``, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from rclib import build_model, fit, get_preset
from rclib.cli import main
from rclib.data import open_dataset, write_demo_folder
from rclib.runs.run import load_run


def tiny(preset: str = "ReContrast", **kw):
    base = dict(backbone="efficientnet_lite0", image_size=64, iterations=4, batch_size=4, eval_every=2)
    return get_preset(preset, **{**base, **kw})


@pytest.fixture(scope="module")
def own(demo_root, tmp_path_factory) -> Path:
    """The demo's brick in the generic layout, without masks (as notebook 13 builds it)."""
    return write_demo_folder(tmp_path_factory.mktemp("own") / "bricks", demo_root)


@pytest.fixture(scope="module")
def trained(own, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    fit(tiny(), own, "bricks", out=out, progress=False, dataset="folder")
    return out


def _image(path: Path, size: int = 64, mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(str(path)))
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).convert(mode).save(path)


def test_folder_without_masks_trains_and_reports_image_metrics(trained):
    doc = json.loads((trained / "metrics.json").read_text())
    assert set(doc["last"]) == {"I-AUROC", "F1", "ACC", "iteration"}
    assert "pixel metrics (P-AUROC, AUPRO) need masks" in doc["note"]
    threshold = json.loads((trained / "threshold.json").read_text())
    assert threshold["method"] == "normal-quantile" and threshold["images"] >= 1 and "held out" in threshold["detail"]


def test_cli_says_pixel_metrics_need_masks(own, tmp_path, capsys):
    argv = [
        "train",
        "--preset",
        "B",
        "--dataset",
        "folder",
        "--data-root",
        str(own),
        "--set=backbone=efficientnet_lite0",
    ]
    argv += ["--set", "image_size=64", "iterations=2", "batch_size=4", "eval_every=2", "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "r")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "P-AUROC" not in out["last"] and "need masks" in out["note"] and out["threshold"]["value"] > 0


def test_predict_writes_overlays_and_decisions(trained, own, tmp_path, capsys):
    out = tmp_path / "pred"
    assert main(["predict", "--run", str(trained), str(own / "new"), "--out", str(out)]) == 0
    table = pd.read_csv(out / "predictions.csv")
    recorded = json.loads((trained / "threshold.json").read_text())["value"]
    assert len(table) == len(list((own / "new").iterdir()))
    assert set(table.decision) <= {"normal", "anomalous"} and np.allclose(table.threshold, recorded)
    assert ((table.score >= recorded) == (table.decision == "anomalous")).all()
    assert all((out / name).stat().st_size > 0 for name in table.overlay)
    assert "threshold" in capsys.readouterr().out
    before = (out / "predictions.csv").read_bytes()
    assert main(["predict", "--run", str(trained), str(own / "new"), "--out", str(out)]) == 2  # never overwrite
    assert "already holds predictions.csv" in capsys.readouterr().err
    assert (out / "predictions.csv").read_bytes() == before


def test_masks_are_matched_by_stem_when_given(own, tmp_path):
    root = tmp_path / "with_masks"
    shutil.copytree(own, root)
    for image in (root / "test" / "crack").iterdir():
        mask = np.zeros((64, 64), np.uint8)
        mask[10:20, 10:20] = 255
        (root / "masks" / "crack").mkdir(parents=True, exist_ok=True)
        Image.fromarray(mask).save(root / "masks" / "crack" / f"{image.stem}.png")
    for kind in ("foreign", "hole", "scratch", "stain"):
        shutil.rmtree(root / "test" / kind)
    test = open_dataset("folder", root, "", "test", image_size=64)
    assert test.has_masks and int(test[len(test) - 1].mask.sum()) > 0


def test_image_modes_and_formats(tmp_path):
    root = tmp_path / "modes"
    for i, (mode, suffix) in enumerate((("L", ".png"), ("RGBA", ".png"), ("RGB", ".jpg"), ("I;16", ".tif"))):
        _image(root / "train" / f"{i}{suffix}", 80, mode)
    assert [tuple(s.image.shape) for s in open_dataset("folder", root, "", "train", image_size=64)] == [(3, 64, 64)] * 4


@pytest.mark.parametrize(
    "case,message",
    [
        ("empty", r"training folder '.*train' holds no images"),
        ("no_anomalies", r"holds no anomalous images \(only good\): I-AUROC is undefined"),
        ("mask_size", r"mask '.*' is 32x32 but its image is 64x64"),
        ("partial_masks", r"masks were found for 1 of 2 anomalous images .* or for none"),
        ("unreadable", r"cannot read image file '.*broken.png'"),
        ("too_small", r"image '.*small.png' is 40x40, smaller than the model's input 64x64"),
    ],
)
def test_bad_folders_give_one_clear_line(case, message, tmp_path, capsys):
    root = tmp_path / case
    for i in range(3):
        _image(root / "train" / f"{i}.png")
    _image(root / "test" / "good" / "0.png")
    _image(root / "test" / "dent" / "0.png")
    _image(root / "test" / "dent" / "1.png")
    if case == "empty":
        shutil.rmtree(root / "train")
        (root / "train").mkdir()
    elif case == "no_anomalies":
        shutil.rmtree(root / "test" / "dent")
    elif case == "mask_size":
        for name in ("0", "1"):
            _image(root / "masks" / "dent" / f"{name}.png", 32, "L")
    elif case == "partial_masks":
        _image(root / "masks" / "dent" / "0.png", 64, "L")
    elif case == "unreadable":
        (root / "train" / "broken.png").write_bytes(b"not an image")
    elif case == "too_small":
        _image(root / "train" / "small.png", 40)
    argv = [
        "train",
        "--preset",
        "B",
        "--dataset",
        "folder",
        "--data-root",
        str(root),
        "--set=backbone=efficientnet_lite0",
    ]
    argv += [
        "--set=image_size=64",
        "--set=iterations=2",
        "--set=batch_size=4",
        "--no-progress",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rclib: error: ") and err.count("\n") == 1 and "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_predict_refuses_weights_of_another_backbone(trained, own, tmp_path, capsys):
    mixed = tmp_path / "mixed"
    shutil.copytree(trained, mixed)
    saved = torch.load(mixed / "model.pt", weights_only=False)
    other = build_model(tiny(backbone="resnet18"), pretrained=False)
    torch.save({**saved, "model": other.state_dict()}, mixed / "model.pt")
    with pytest.raises(Exception, match="do not fit the ReContrast model with backbone efficientnet_lite0"):
        load_run(mixed)
    assert main(["predict", "--run", str(mixed), str(own / "new"), "--out", str(tmp_path / "p")]) == 2
    assert "the run folder is mixed up" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_predict_bad_inputs(trained, tmp_path, capsys):
    _image(tmp_path / "small.png", 40)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    cases = {
        str(tmp_path / "missing.png"): "does not exist: expected an image file or a folder of images",
        str(tmp_path / "notes.txt"): "is not an image file",
        str(tmp_path / "empty"): "holds no images",
        str(tmp_path / "small.png"): "is 40x40, smaller than the model's input 64x64",
    }
    for target, message in cases.items():
        assert main(["predict", "--run", str(trained), target, "--out", str(tmp_path / "p")]) == 2
        assert message in capsys.readouterr().err
