"""Your own images: a generic folder with or without masks, named folders, a test split, recorded thresholds,
``rclib predict``, images of any size, bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from torch.utils.data import Subset

from rclib import build_model, fit, get_preset
from rclib.cli import main
from rclib.data import FolderLayout, open_dataset, write_demo_folder
from rclib.data.folder_layout import split_indices
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
    with pytest.warns(UserWarning, match="calibration image"):
        fit(tiny(), own, "bricks", out=out, progress=False, dataset="folder")
    return out


def _image(path: Path, size: int | tuple[int, int] = 64, mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng(len(str(path)))
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).convert(mode).save(path)


def _train_argv(root: Path, out: Path, *extra: str) -> list[str]:
    argv = ["train", "--preset", "B", "--dataset", "folder", "--data-root", str(root), "--no-progress"]
    argv += ["--set", "backbone=efficientnet_lite0", "image_size=64", "iterations=2", "batch_size=4", "eval_every=2"]
    return [*argv, "--out", str(out), *extra]


def test_folder_without_masks_trains_and_records_both_thresholds(trained):
    doc = json.loads((trained / "metrics.json").read_text())
    assert {"I-AUROC", "F1", "ACC"} <= set(doc["last"]) and "P-AUROC" not in doc["last"]
    assert "pixel metrics (P-AUROC, AUPRO) need masks" in doc["note"]
    assert FolderLayout.from_dict(doc["layout"]) == FolderLayout()
    threshold = json.loads((trained / "threshold.json").read_text())
    assert (
        threshold["method"] == "normal-quantile"
        and threshold["images"] >= 1
        and "did not train on" in threshold["detail"]
    )
    pixel = threshold["pixel"]
    assert pixel["method"] == "normal-max-quantile" and pixel["value"] == pytest.approx(threshold["value"])  # max score
    assert pixel["normal"] < pixel["value"] and threshold["colour_scale"] == [
        pytest.approx(pixel["normal"]),
        pytest.approx(2 * pixel["value"] - pixel["normal"]),
    ]
    assert "fewer than 20" in threshold["warning"] and "0.5 is the decision boundary" in threshold["normalisation"]


def _image_paths(dataset) -> list[str]:
    """The image files of a data set or of a subset of one."""
    if isinstance(dataset, Subset):
        return [_image_paths(dataset.dataset)[i] for i in dataset.indices]
    return [str(p) for p in dataset.samples.path]


def test_the_held_out_tenth_sets_the_thresholds_and_never_trains(own, tmp_path, monkeypatch):
    import importlib

    fitting = importlib.import_module("rclib.runs.fit")  # the module: rclib.runs re-exports fit()
    seen = {}
    train, calibrate = fitting.train, fitting.calibrate

    def recorded_train(config, data, *args, **kwargs):
        seen["train"] = data
        return train(config, data, *args, **kwargs)

    def recorded_calibrate(run, data):
        seen["calibration"] = data
        return calibrate(run, data)

    monkeypatch.setattr(fitting, "train", recorded_train)
    monkeypatch.setattr(fitting, "calibrate", recorded_calibrate)
    with pytest.warns(UserWarning, match="calibration image"):
        run = fit(tiny(iterations=2), own, "bricks", out=tmp_path / "run", progress=False, dataset="folder")
    every = sorted(str(p) for p in (own / "train").iterdir())
    held = every[fitting.HOLDOUT_EVERY - 1 :: fitting.HOLDOUT_EVERY]  # the 10th, 20th, ... in name order
    assert len(every) == 12 and len(held) == 1
    assert sorted(_image_paths(seen["calibration"])) == held
    assert sorted(_image_paths(seen["train"])) == sorted(set(every) - set(held))  # the rest, and only the rest
    assert run.extra["threshold"]["images"] == len(held)


def test_cli_says_pixel_metrics_need_masks_and_warns_of_few_calibration_images(own, tmp_path, capsys):
    assert main(_train_argv(own, tmp_path / "r")) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert "P-AUROC" not in out["last"] and "need masks" in out["note"] and out["threshold"]["value"] > 0
    assert re.search(
        r"^rclib: warning: only \d+ calibration image\(s\) chose the decision thresholds", captured.err, re.M
    )


def test_validation_masks_choose_the_pixel_threshold(own, tmp_path):
    root = tmp_path / "with_validation"
    shutil.copytree(own, root)
    shutil.copytree(root / "test" / "good", root / "validation" / "good")
    shutil.copytree(root / "test" / "crack", root / "validation" / "chip")  # a kind of its own: only it has masks
    for image in (root / "validation" / "chip").iterdir():
        mask = np.zeros((64, 64), np.uint8)
        mask[20:40, 20:40] = 255
        _save_mask(root / "masks" / "chip" / f"{image.stem}.png", mask)
    run = fit(tiny(iterations=2), root, "bricks", progress=False, dataset="folder")
    t = run.extra["threshold"]
    assert t["method"] == "validation-f1" and t["pixel"]["method"] == "validation-pixel-f1"
    assert t["images"] == len(list((root / "validation").rglob("*.png")))
    # the image threshold is F1-optimal on validation/ (scikit-learn's F1 over every candidate threshold)
    from sklearn.metrics import f1_score

    from rclib.scoring.evaluate import predict

    size = dict(image_size=run.config.image_size, crop_size=run.config.crop_size)
    pred = predict(run.model, open_dataset("folder", root, "bricks", "validation", **size))
    best = max(f1_score(pred.labels, pred.scores >= c) for c in pred.scores)
    assert f1_score(pred.labels, pred.scores >= t["value"]) == pytest.approx(best)
    assert pred.labels.sum() not in (0, len(pred.labels))  # both kinds: an F1 that can choose


def _save_mask(path: Path, mask: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(path)


def test_predict_writes_masks_maps_json_lines_and_overlays(trained, own, tmp_path, capsys):
    out = tmp_path / "pred"
    assert main(["predict", "--run", str(trained), str(own / "new"), "--out", str(out), "--no-progress"]) == 0
    table = pd.read_csv(out / "predictions.csv")
    lines = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    recorded = json.loads((trained / "threshold.json").read_text())
    assert len(table) == len(lines) == len(list((own / "new").iterdir()))
    assert set(table.decision) <= {"normal", "anomalous"} and np.allclose(table.threshold, recorded["value"])
    assert ((table.score >= recorded["value"]) == (table.decision == "anomalous")).all()
    assert ((table.normalised_score >= 0.5) == (table.decision == "anomalous")).all()
    for line in lines:
        amap = np.load(out / line["files"]["map"])
        mask = np.asarray(Image.open(out / line["files"]["mask"]))
        assert amap.shape == (64, 64) and amap.dtype == np.float32 and np.isclose(amap.max(), line["score"])
        assert ((mask > 0) == (amap >= recorded["pixel"]["value"])).all() and set(np.unique(mask)) <= {0, 255}
        assert (out / line["files"]["overlay"]).stat().st_size > 0
    assert "pixel threshold" in capsys.readouterr().out
    before = (out / "predictions.csv").read_bytes()
    assert main(["predict", "--run", str(trained), str(own / "new"), "--out", str(out)]) == 2  # never overwrite
    assert "already holds predictions.jsonl; pass --resume" in capsys.readouterr().err
    assert (out / "predictions.csv").read_bytes() == before


def test_masks_are_matched_by_stem_when_given(own, tmp_path):
    root = tmp_path / "with_masks"
    shutil.copytree(own, root)
    for image in (root / "test" / "crack").iterdir():
        mask = np.zeros((64, 64), np.uint8)
        mask[10:20, 10:20] = 255
        _save_mask(root / "masks" / "crack" / f"{image.stem}.png", mask)
    for kind in ("foreign", "hole", "scratch", "stain"):
        shutil.rmtree(root / "test" / kind)
    test = open_dataset("folder", root, "", "test", image_size=64)
    assert test.has_masks and int(test[len(test) - 1].mask.sum()) > 0


def test_named_folders_and_a_test_split_are_recorded_and_reused_by_evaluate(own, tmp_path, capsys):
    """anomalib's Folder: normal and abnormal folders by name, a flat mask folder, normal test images split off."""
    root = tmp_path / "named"
    shutil.copytree(own / "train", root / "ok_parts")
    shutil.copytree(own / "test" / "crack", root / "defects" / "cracked")
    for image in (root / "defects" / "cracked").iterdir():
        mask = np.zeros((64, 64), np.uint8)
        mask[5:30, 5:30] = 255
        _save_mask(root / "labels" / f"{image.stem}.png", mask)
    flags = ["--normal-dir", "ok_parts", "--abnormal-dir", "defects/cracked", "--mask-dir", "labels"]
    assert main([*_train_argv(root, tmp_path / "r"), *flags, "--test-split", "0.25"]) == 0
    out = json.loads(capsys.readouterr().out)
    n = len(list((root / "ok_parts").iterdir()))
    assert out["test_split"]["images"] == len(split_indices(n, 0.25)) == round(0.25 * n)
    assert "P-AUROC" in out["last"]  # the flat mask folder matched every anomalous image
    record = json.loads((tmp_path / "r" / "metrics.json").read_text())["layout"]
    assert record["normal"] == "ok_parts" and record["abnormal"] == ["defects/cracked"] and record["test_split"] == 0.25
    layout = FolderLayout.from_dict(record)
    train, test = (open_dataset("folder", root, "", s, image_size=64, layout=layout) for s in ("train", "test"))
    assert not set(train.samples.path) & set(test.samples.path) and len(train) + (test.labels == 0).sum() == n
    assert main(["evaluate", "--run", str(tmp_path / "r")]) == 0
    assert json.loads(capsys.readouterr().out)["metrics"]["I-AUROC"] == pytest.approx(out["last"]["I-AUROC"])


def test_the_test_split_is_deterministic_and_evenly_spread():
    assert split_indices(10, 0.2) == [4, 9] and split_indices(12, 0.25) == [3, 7, 11] and split_indices(3, 0.1) == [2]


def test_image_modes_and_formats(tmp_path):
    root = tmp_path / "modes"
    for i, (mode, suffix) in enumerate((("L", ".png"), ("RGBA", ".png"), ("RGB", ".jpg"), ("I;16", ".tif"))):
        _image(root / "train" / f"{i}{suffix}", 80, mode)
    assert [tuple(s.image.shape) for s in open_dataset("folder", root, "", "train", image_size=64)] == [(3, 64, 64)] * 4


def test_images_of_any_size_are_resized_and_large_upscales_are_named_in_a_warning(tmp_path):
    root = tmp_path / "sizes"
    for i, size in enumerate((40, (200, 90), 64)):
        _image(root / "train" / f"{i}.png", size)
    _image(root / "train" / "small.png", 20)
    with pytest.warns(UserWarning, match=r"1 of 4 train images .* upscaled more than 2x, e.g. '.*small.png' \(20x20\)"):
        data = open_dataset("folder", root, "", "train", image_size=64)
    assert [tuple(s.image.shape) for s in data] == [(3, 64, 64)] * 4


@pytest.mark.parametrize(
    "case,message",
    [
        ("empty", r"normal image folder '.*train' holds no images"),
        ("no_anomalies", r"holds no anomalous images \(only good\): I-AUROC is undefined"),
        ("mask_size", r"mask '.*' is 32x32 but its image is 64x64"),
        ("partial_masks", r"masks were found for 1 of 2 anomalous images .* or for none"),
        ("unreadable", r"cannot read image file '.*broken.png'"),
        ("no_normal_test", r"test folder '.*test' holds no normal images: expected them in '.*test/good' \(or a"),
        ("too_few_to_split", r"holds 2 normal images: too few to split 20% off for testing"),
        ("missing_abnormal", r"--abnormal-dir nowhere: '.*nowhere' does not exist or is not a folder"),
        ("missing_validation", r"--validation-dir val: '.*val' does not exist or is not a folder"),
        ("bad_split", r"argument --test-split: expected a fraction in \[0, 1\), got '1.5'"),
        ("not_a_folder_run", r"--normal-dir name folders of --dataset folder, not of --dataset demo"),
    ],
)
def test_bad_folders_give_one_clear_line(case, message, tmp_path, capsys):
    root = tmp_path / case
    for i in range(3):
        _image(root / "train" / f"{i}.png")
    _image(root / "test" / "good" / "0.png")
    _image(root / "test" / "dent" / "0.png")
    _image(root / "test" / "dent" / "1.png")
    extra: list[str] = []
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
    elif case in ("no_normal_test", "too_few_to_split"):
        shutil.rmtree(root / "test" / "good")
        extra = ["--test-split", "0"] if case == "no_normal_test" else []
        if case == "too_few_to_split":
            (root / "train" / "2.png").unlink()
    elif case == "missing_abnormal":
        extra = ["--abnormal-dir", "nowhere"]
    elif case == "missing_validation":
        extra = ["--validation-dir", "val"]
    elif case == "bad_split":
        extra = ["--test-split", "1.5"]
    argv = _train_argv(root, tmp_path / "o", *extra)
    if case == "not_a_folder_run":
        argv[argv.index("folder")] = "demo"
        argv += ["--category", "x", "--normal-dir", "train"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rclib: error: ") and err.count("\n") == 1 and "Traceback" not in err
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
    _image(tmp_path / "ok.png")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken.png").write_bytes(b"not an image")
    ok = str(tmp_path / "ok.png")
    cases = {
        (str(tmp_path / "missing.png"),): "does not exist: expected an image file or a folder of images",
        (str(tmp_path / "notes.txt"),): "is not an image file",
        (str(tmp_path / "empty"),): "holds no images",
        (ok, str(tmp_path / "broken.png")): r"cannot read image file '.*broken.png'.*; the images before it are "
        r"recorded in '.*predictions.jsonl': fix or remove the file and continue with --resume",
        (ok, "--batch-size", "0"): r"argument --batch-size: expected a positive integer, got '0'",
        (ok, "--num-workers", "-1"): r"argument --num-workers: expected 0 or a positive integer, got '-1'",
        (ok, "--threshold", "nan"): r"argument --threshold: expected a finite number, got 'nan'",
        (ok, "--pixel-threshold", "x"): r"argument --pixel-threshold: expected a finite number, got 'x'",
        (ok, "--device", "tpu"): r"argument --device: expected auto, cpu, cuda, cuda:N or mps, got 'tpu'",
    }
    for i, (target, message) in enumerate(cases.items()):
        assert main(["predict", "--run", str(trained), *target, "--out", str(tmp_path / f"p{i}"), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("rclib: error: ") and err.count("\n") == 1 and re.search(message, err), err


def test_predict_resizes_images_of_any_size_and_writes_masks_at_their_size(trained, tmp_path, capsys):
    _image(tmp_path / "in" / "wide.png", (150, 70))
    _image(tmp_path / "in" / "tiny.png", 20)
    out = tmp_path / "p"
    assert main(["predict", "--run", str(trained), str(tmp_path / "in"), "--out", str(out), "--no-overlays"]) == 0
    captured = capsys.readouterr()
    assert re.search(
        r"rclib: warning: 1 of 2 images .* upscaled more than 2x, e.g. '.*tiny.png' \(20x20\)", captured.err
    )
    lines = {Path(x["image"]).name: x for x in map(json.loads, (out / "predictions.jsonl").open())}
    assert Image.open(out / lines["wide.png"]["files"]["mask"]).size == (150, 70) and not lines["wide.png"]["upscaled"]
    assert lines["tiny.png"]["upscaled"] and "overlay" not in lines["tiny.png"]["files"]
    assert np.load(out / lines["wide.png"]["files"]["map"]).shape == (64, 64)
