"""The command line: artefacts on success, one clear line and exit status 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rclib.cli import main


def test_train_then_evaluate(demo_root, tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(
        [
            "train",
            "--preset",
            "B",
            "--dataset",
            "demo",
            "--data-root",
            str(demo_root),
            "--category",
            "grass",
            "--set=backbone=efficientnet_lite0",
            "--set=image_size=64",
            "--set=iterations=4",
            "--set=batch_size=4",
            "--set=eval_every=2",
            "--set=channels_last=True",
            "--set=reuse_cpu_memory=True",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    assert {"metrics.json", "history.csv", "model.pt", "steps.csv"} == {p.name for p in out.iterdir()}
    trained = json.loads((out / "metrics.json").read_text())
    assert trained["config"]["channels_last"] is True and trained["config"]["reuse_cpu_memory"] is True
    capsys.readouterr()
    assert main(["evaluate", "--run", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["metrics"]["I-AUROC"] == pytest.approx(trained["last"]["I-AUROC"])
    assert main(["evaluate", "--run", str(out), "--aupro-protocol", "pooled"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--run", str(out), "--exact"]) == 0
    exact = json.loads(capsys.readouterr().out)["metrics"]
    assert exact.keys() == doc["metrics"].keys()
    assert all(abs(exact[k] - doc["metrics"][k]) < 1e-2 for k in exact)


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["train", "--preset", "Z", "--data-root", ".", "--category", "x", "--out", "o"],
            r"unknown preset 'Z'; valid presets: A, B, B\+hm",
        ),
        (
            ["train", "--preset", "B", "--data-root", "/no/such", "--category", "x", "--out", "o"],
            "data root '/no/such' does not exist",
        ),
        (
            ["train", "--preset", "B", "--dataset", "imagenet", "--data-root", ".", "--category", "x", "--out", "o"],
            "unknown dataset 'imagenet'",
        ),
        (["describe", "--backbone", "vgg16"], "valid backbones|one of wide_resnet50_2"),
        (["describe", "--image-size", "250"], "image_size=250: expected an integer >= 32 divisible by 32"),
        (["evaluate", "--run", "/no/run"], "is not a finished run directory"),
    ],
)
def test_bad_input_gives_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rclib: error: ") and "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_missing_weights_offline_via_cli(demo_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "hub"))
    rc = main(
        [
            "train",
            "--preset",
            "B",
            "--dataset",
            "demo",
            "--data-root",
            str(demo_root),
            "--category",
            "brick",
            "--set=backbone=resnet18",
            "--set=image_size=64",
            "--set=iterations=2",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert rc == 2
    assert "resnet18-f37072fd.pth" in capsys.readouterr().err


def test_batch_larger_than_train_set_with_drop_last_via_api(demo_root):
    from rclib import fit, get_preset

    with pytest.raises(ValueError, match="larger than the training set"):
        fit(
            get_preset("B", backbone="efficientnet_lite0", image_size=64, batch_size=64, drop_last=True),
            demo_root,
            "brick",
            dataset="demo",
            progress=False,
        )


def test_demo_data_command_and_module_entry_point(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rclib", "demo-data", str(tmp_path / "d"), "--size", "48"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "d" / "gravel" / "ground_truth" / "hole" / "000_mask.png").exists()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "rclib",
            "describe",
            "--preset",
            "B",
            "--backbone",
            "resnet18",
            "--image-size",
            "64",
            "--no-pretrained",
        ],
        capture_output=True,
        text=True,
    )
    doc = json.loads(proc.stdout)
    assert doc["params_paper_M"] == 18.7 and doc["stage_channels"] == [64, 128, 256]
