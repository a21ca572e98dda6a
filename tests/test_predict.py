"""Thresholds and normalisation by their stated rules; streaming prediction: resume, a fixed colour scale, loader
processes, and runs whose record lacks a threshold."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rclib import fit, get_preset
from rclib.cli import main
from rclib.data import write_demo_folder
from rclib.runs import prediction_files
from rclib.runs.predict import JOURNAL, predict_images
from rclib.runs.run import load_run
from rclib.scoring.threshold import Calibration, Threshold, calibrate_thresholds


# --- thresholds and normalisation ----------------------------------------------------------------------------
def test_normalisation_puts_the_threshold_at_one_half_and_the_normal_median_at_zero():
    t = Threshold(0.4, "normal-quantile", 30, "", normal=0.2)
    assert list(t.normalise([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])) == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1, 1])
    assert ((t.normalise(np.linspace(0, 1, 101)) >= 0.5) == t.decide(np.linspace(0, 1, 101))).all()
    assert t.normalise(np.float32([0.3])).dtype == np.float32  # maps stay float32
    one_image = Threshold(0.4, "normal-quantile", 1, "", normal=0.4)  # the median is the threshold: low falls to 0
    assert one_image.low == 0 and one_image.normalise(0.2) == pytest.approx(0.25)


def test_calibration_rules_without_and_with_labels_and_masks():
    rng = np.random.default_rng(0)
    maps = rng.random((30, 8, 8)).astype(np.float32)
    scores = maps.reshape(30, -1).max(1)
    normal = calibrate_thresholds(scores, np.zeros(30), maps)
    assert normal.image.method == "normal-quantile" and normal.pixel.method == "normal-max-quantile"
    assert normal.pixel.value == pytest.approx(normal.image.value) and not normal.warning  # 30 images: enough
    assert normal.image.normal == pytest.approx(np.median(scores)) and normal.pixel.normal == pytest.approx(0.5, 0.1)
    labels = np.r_[np.zeros(20), np.ones(10)]
    maps[20:, 2:5, 2:5] += 2.0
    masks = np.zeros_like(maps, dtype=bool)
    masks[20:, 2:5, 2:5] = True
    scores = maps.reshape(30, -1).max(1)
    labelled = calibrate_thresholds(scores, labels, maps, masks)
    assert labelled.image.method == "validation-f1" and labelled.pixel.method == "validation-pixel-f1"
    assert labelled.pixel.decide(maps)[masks].all() and not labelled.pixel.decide(maps)[~masks].any()
    assert labelled.image.normal == pytest.approx(np.median(scores[:20]))  # the normal images' median only
    few = calibrate_thresholds(scores[:5], np.zeros(5), maps[:5])
    assert "only 5 calibration image(s)" in few.warning and "fewer than 20" in few.warning


def test_threshold_json_round_trips_and_old_records_still_load():
    c = Calibration(Threshold(0.4, "normal-quantile", 3, "x", 0.2), Threshold(0.5, "normal-max-quantile", 3, "y", 0.1))
    assert Calibration.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    assert c.to_dict()["colour_scale"] == pytest.approx([0.1, 0.9])
    old = Calibration.from_dict({"value": 0.4, "method": "normal-quantile", "images": 3, "detail": "x"})
    assert old.pixel is None and old.image.value == 0.4
    given = c.given(image=0.6)
    assert given.image.value == 0.6 and given.image.method == "given" and given.image.normal == 0.2
    assert given.pixel == c.pixel


# --- streaming prediction --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folder_run(demo_root, tmp_path_factory) -> tuple[Path, Path]:
    """A tiny run on the demo's bricks, and a folder of 16 images to predict (its test images, twice)."""
    base = tmp_path_factory.mktemp("predict")
    own = write_demo_folder(base / "bricks", demo_root)
    config = get_preset("ReContrast", backbone="efficientnet_lite0", image_size=64, iterations=2, batch_size=4)
    with pytest.warns(UserWarning, match="calibration image"):
        fit(config.replace(eval_every=2), own, "bricks", out=base / "run", progress=False, dataset="folder")
    images = base / "images"
    images.mkdir()
    for i, p in enumerate(sorted((own / "test").rglob("*.png")) * 2):
        shutil.copy(p, images / f"{i:02d}_{p.parent.name}.png")
    return base / "run", images


def _lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / JOURNAL).read_text().splitlines()]


def test_an_interrupted_prediction_resumes_where_it_stopped(folder_run, tmp_path, monkeypatch, capsys):
    run_dir, images = folder_run
    run = load_run(run_dir, device="cpu")
    whole = predict_images(run, [images], tmp_path / "whole", batch_size=4, overlays=False)
    written = []
    original = prediction_files.ImageWriter.write

    def interrupted(self, *args, **kwargs):
        if len(written) == 7:
            raise KeyboardInterrupt
        written.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(prediction_files.ImageWriter, "write", interrupted)
    out = tmp_path / "resumed"
    assert main(["predict", "--run", str(run_dir), str(images), "--out", str(out), "--batch-size", "4"]) == 130
    assert "continue with --resume" in capsys.readouterr().err
    assert len(_lines(out)) == 7 and not (out / "predictions.csv").exists()
    with (out / JOURNAL).open("a") as f:
        f.write('{"image": "cut short by a kill')  # a line without its newline: dropped, its image done again
    monkeypatch.setattr(prediction_files.ImageWriter, "write", original)
    argv = ["predict", "--run", str(run_dir), str(images), "--out", str(out), "--batch-size", "4", "--resume"]
    assert main(argv) == 0
    resumed = pd.read_csv(out / "predictions.csv")
    lines = _lines(out)
    assert len(lines) == len(whole) == 16 and len({x["image"] for x in lines}) == 16
    assert list(resumed.image) == list(whole.image) and np.allclose(resumed.score, whole.score, atol=1e-6)
    assert list(resumed.decision) == list(whole.decision)


def test_resuming_with_other_thresholds_is_refused(folder_run, tmp_path, capsys):
    run_dir, images = folder_run
    out = tmp_path / "p"
    assert main(["predict", "--run", str(run_dir), str(images), "--out", str(out), "--no-overlays"]) == 0
    before = (out / JOURNAL).read_bytes()
    argv = ["predict", "--run", str(run_dir), str(images), "--out", str(out), "--no-overlays", "--resume"]
    assert main([*argv, "--threshold", "0.123"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"holds predictions made with other thresholds .*predict.json\): resume with the same", err), err
    assert (out / JOURNAL).read_bytes() == before
    assert main(argv) == 0  # the same settings: nothing left to do, the table is written again
    assert (out / JOURNAL).read_bytes() == before


def test_overlays_share_the_colour_scale_fixed_at_calibration(folder_run, tmp_path, monkeypatch):
    run_dir, images = folder_run
    run = load_run(run_dir, device="cpu")
    scales = []
    monkeypatch.setattr(prediction_files, "save_overlay", lambda *a, vmin, vmax, **k: scales.append((vmin, vmax)))
    predict_images(run, [images], tmp_path / "a", batch_size=3)
    predict_images(run, sorted(images.iterdir())[:2], tmp_path / "b")
    expected = tuple(json.loads((run_dir / "threshold.json").read_text())["colour_scale"])
    assert len(scales) == 16 + 2 and all(scale == pytest.approx(expected) for scale in scales)
    assert json.loads((tmp_path / "b" / "predict.json").read_text())["thresholds"]["colour_scale"] == list(expected)


def test_loader_processes_give_the_same_predictions(folder_run, tmp_path):
    run_dir, images = folder_run
    run = load_run(run_dir, device="cpu")
    inline = predict_images(run, [images], tmp_path / "inline", batch_size=5, overlays=False)
    workers = predict_images(run, [images], tmp_path / "workers", batch_size=5, num_workers=2, overlays=False)
    pd.testing.assert_frame_equal(inline, workers)


def test_a_run_without_its_pixel_threshold_needs_one_given(folder_run, tmp_path, capsys):
    run_dir, images = folder_run
    old = tmp_path / "old_run"
    shutil.copytree(run_dir, old)
    record = json.loads((old / "threshold.json").read_text())
    (old / "threshold.json").write_text(json.dumps({k: record[k] for k in ("value", "method", "images", "detail")}))
    argv = ["predict", "--run", str(old), str(images), "--out", str(tmp_path / "p"), "--no-overlays"]
    assert main(argv) == 2
    assert (
        "records no pixel threshold (its threshold.json predates them): pass --pixel-threshold"
        in capsys.readouterr().err
    )
    assert main([*argv, "--pixel-threshold", str(record["pixel"]["value"])]) == 0
    (old / "threshold.json").unlink()
    assert main([*argv[:-3], "--out", str(tmp_path / "q")]) == 2
    assert "records no thresholds (runs on --dataset folder do)" in capsys.readouterr().err


def test_a_given_threshold_decides_every_image_and_is_recorded(folder_run, tmp_path):
    run_dir, images = folder_run
    argv = ["predict", "--run", str(run_dir), str(images), "--no-overlays", "--no-progress"]
    recorded = pd.read_csv(_predicted(argv, tmp_path / "recorded"))
    middle = float(np.median(recorded.score))  # half the images on each side of it
    for given, out in ((middle, "middle"), (recorded.score.max() + 1, "above"), (recorded.score.min() - 1, "below")):
        table = pd.read_csv(_predicted([*argv, "--threshold", str(given)], tmp_path / out))
        assert np.allclose(table.score, recorded.score, atol=1e-6)  # the scores do not move, only the decisions
        assert (table.threshold == given).all()
        assert list(table.decision == "anomalous") == list(table.score >= given), out
        saved = json.loads((tmp_path / out / "predict.json").read_text())["thresholds"]
        assert saved["value"] == given and saved["method"] == "given"
    assert (pd.read_csv(tmp_path / "above" / "predictions.csv").decision == "normal").all()
    assert (pd.read_csv(tmp_path / "below" / "predictions.csv").decision == "anomalous").all()


def _predicted(argv: list[str], out: Path) -> Path:
    assert main([*argv, "--out", str(out)]) == 0
    return out / "predictions.csv"
