"""Training runs: artefacts, determinism, kill-and-resume, health checks and safe saving."""

from __future__ import annotations

import errno
import importlib.metadata
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch

from rclib import fit, get_preset
from rclib.method.model import ReContrast
from rclib.runs.checkpoint import CheckpointMismatch, read_checkpoint
from rclib.runs.run import load_run
from rclib.runs.runtime import SaveError
from rclib.runs.training import BatchSchedule, TrainingDiverged


def small(preset: str = "ReContrast", **kw):
    base = dict(backbone="efficientnet_lite0", image_size=64, iterations=8, batch_size=4, eval_every=4, encoder_lr=1e-3)
    return get_preset(preset, **{**base, **kw})


def test_30_iteration_recontrast_run_writes_valid_artefacts(demo_root, tmp_path):
    out = tmp_path / "run"
    run = fit(small(iterations=30, eval_every=10), demo_root, "brick", out=out, progress=False, dataset="demo")
    doc = json.loads((out / "metrics.json").read_text())
    for part in ("last", "best"):
        assert set(doc[part]) >= {"I-AUROC", "P-AUROC", "AUPRO"}
        assert all(0 <= doc[part][k] <= 100 for k in ("I-AUROC", "P-AUROC", "AUPRO"))
    assert doc["config"]["name"] == "ReContrast" and doc["config"]["seed"] == 111 and doc["pretrained"] is True
    assert doc["versions"]["torch"] == importlib.metadata.version("torch") and doc["seconds"] > 0
    # every package whose version can change a number is named, at the version installed
    for name in ("torch", "torchvision", "numpy", "scipy", "scikit-learn", "scikit-image", "pillow", "pandas"):
        assert doc["versions"][name] == importlib.metadata.version(name), name
    history = pd.read_csv(out / "history.csv")
    assert history.iteration.tolist() == [10, 20, 30]
    steps = pd.read_csv(out / "steps.csv")
    assert len(steps) == 30 and {"loss", "alpha", "std_stage1", "std_stage2", "std_stage3"} <= set(steps.columns)
    assert steps.alpha.iloc[0] == pytest.approx(-3.0) and steps.alpha.iloc[-1] == pytest.approx(1.0)
    assert steps.loss.iloc[-5:].mean() < steps.loss.iloc[:5].mean()  # it learns
    assert (out / "model.pt").exists() and not (out / "checkpoint.pt").exists()  # a finished run keeps its weights
    assert run.metrics["last"]["I-AUROC"] == doc["last"]["I-AUROC"]
    reloaded = load_run(out)
    assert all(
        torch.equal(a, b)
        for a, b in zip(reloaded.model.state_dict().values(), run.model.state_dict().values(), strict=True)
    )


def test_same_seed_same_metrics(demo_root, tmp_path):
    a = fit(small(), demo_root, "brick", out=tmp_path / "a", progress=False, dataset="demo")
    b = fit(small(), demo_root, "brick", out=tmp_path / "b", progress=False, dataset="demo")
    ja, jb = (json.loads((tmp_path / x / "metrics.json").read_text()) for x in ("a", "b"))
    assert ja["last"] == jb["last"] and ja["best"] == jb["best"]
    assert a.steps.loss.tolist() == b.steps.loss.tolist()


def test_evaluating_more_often_does_not_change_training(demo_root):
    often = fit(small(eval_every=2), demo_root, "brick", progress=False, dataset="demo")
    once = fit(small(eval_every=8), demo_root, "brick", progress=False, dataset="demo")
    assert len(often.history) == 4 and len(once.history) == 1
    assert often.steps.loss.tolist() == once.steps.loss.tolist()
    assert often.metrics["last"] == once.metrics["last"]
    weights = zip(often.model.state_dict().values(), once.model.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in weights)


def test_a_runs_last_evaluation_is_its_test_score_from_all_pairs(demo_root):
    from rclib.data import open_dataset
    from rclib.scoring.evaluate import compute_metrics, predict

    run = fit(small(), demo_root, "brick", progress=False, dataset="demo")
    test = open_dataset("demo", demo_root, "brick", "test", image_size=64)
    again = compute_metrics(predict(run.model, test, keep_maps=False), segmentation=False)["I-AUROC"]
    assert run.metrics["last"]["I-AUROC"] == again  # Table A6's "all pairs" rows read it instead of rescoring


KILL_SCRIPT = """
import os, signal, sys
os.environ["RCLIB_OFFLINE"] = "1"
import torch
torch.set_num_threads(2)
from rclib import fit, get_preset
base = dict(backbone="efficientnet_lite0", image_size=64, iterations=8, batch_size=4, eval_every=4, encoder_lr=1e-3)
config = get_preset("ReContrast", **base)
# checkpoint at 6 of 8
fit(config, sys.argv[1], "brick", out=sys.argv[2], progress=False, dataset="demo", stop_after=6)
os.kill(os.getpid(), signal.SIGKILL)  # ... then die without any clean-up
"""


def test_killed_run_resumes_to_identical_result(demo_root, tmp_path):
    full = fit(small(), demo_root, "brick", out=tmp_path / "full", progress=False, dataset="demo")
    out = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(demo_root), str(out)], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert read_checkpoint(out / "checkpoint.pt")["iteration"] == 6 and not (out / "metrics.json").exists()
    resumed = fit(small(), demo_root, "brick", out=out, progress=False, dataset="demo", resume=True)
    # the resumed process started at the checkpoint's iteration and ran only the remaining two steps
    sessions = json.loads((out / "metrics.json").read_text())["sessions"]
    assert sessions == [{"start": 0, "stop": 6}, {"start": 6, "stop": 8}]
    assert full.extra["sessions"] == [{"start": 0, "stop": 8}]
    assert resumed.metrics == full.metrics
    assert resumed.steps.loss.tolist() == full.steps.loss.tolist()
    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), k  # bit-identical on CPU


def test_corrupted_checkpoint_is_refused_with_one_line(demo_root, tmp_path):
    out = tmp_path / "r"
    fit(small(iterations=8), demo_root, "brick", out=out, progress=False, dataset="demo", stop_after=4)
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointMismatch, match=r"cannot read checkpoint '.*checkpoint.pt'") as err:
        fit(small(iterations=8), demo_root, "brick", out=out, progress=False, dataset="demo", resume=True)
    assert "\n" not in str(err.value)


def test_resume_of_finished_run_only_loads(demo_root, tmp_path):
    first = fit(small(iterations=4), demo_root, "brick", out=tmp_path / "r", progress=False, dataset="demo")
    again = fit(
        small(iterations=4), demo_root, "brick", out=tmp_path / "r", progress=False, dataset="demo", resume=True
    )
    assert again.metrics == first.metrics


def test_checkpoint_of_another_preset_is_refused(demo_root, tmp_path):
    fit(small("B", iterations=4), demo_root, "brick", out=tmp_path / "r", progress=False, dataset="demo")
    with pytest.raises(CheckpointMismatch, match=r"another configuration \(.*name: saved 'B' vs requested 'C'"):
        fit(
            small("C", iterations=4),
            demo_root,
            "brick",
            out=tmp_path / "r",
            progress=False,
            dataset="demo",
            resume=True,
        )
    with pytest.raises(CheckpointMismatch, match="backbone: saved 'efficientnet_lite0' vs requested 'resnet18'"):
        fit(
            small("B", iterations=4, backbone="resnet18"),
            demo_root,
            "brick",
            out=tmp_path / "r",
            progress=False,
            dataset="demo",
            resume=True,
        )


def test_non_finite_loss_stops_with_advice(demo_root, tmp_path, monkeypatch):
    monkeypatch.setattr(ReContrast, "loss", lambda self, enc, dec, it: dec[0].sum() * float("nan"))
    with pytest.raises(TrainingDiverged) as err:
        fit(small(), demo_root, "brick", out=tmp_path / "r", progress=False, dataset="demo")
    msg = str(err.value)
    assert "iteration 0" in msg and "'ReContrast'" in msg and "brick" in msg and "partial_bn" in msg
    assert not (tmp_path / "r" / "metrics.json").exists()


def test_batch_larger_than_training_set_with_drop_last():
    with pytest.raises(
        ValueError, match=r"batch_size=32 is larger than the training set \(12 images\) with drop_last=True"
    ):
        BatchSchedule(12, 32, drop_last=True, seed=0)
    assert len(BatchSchedule(12, 32, drop_last=False, seed=0).batch(0)) == 12


def test_batch_schedule_covers_each_epoch_once():
    s = BatchSchedule(10, 4, drop_last=False, seed=3)
    epoch = s.batch(0) + s.batch(1) + s.batch(2)
    assert sorted(epoch) == list(range(10))
    assert s.batch(3) != s.batch(0) or s.batch(4) != s.batch(1)  # next epoch is reshuffled


def test_full_disk_keeps_previous_checkpoint(demo_root, tmp_path, monkeypatch):
    out = tmp_path / "r"
    fit(small(iterations=12), demo_root, "brick", out=out, progress=False, dataset="demo", stop_after=4)
    before = (out / "checkpoint.pt").read_bytes()

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(SaveError, match=r"checkpoint.pt' \(No space left on device\); the previous file is unchanged"):
        fit(small(iterations=12), demo_root, "brick", out=out, progress=False, dataset="demo", resume=True)
    assert (out / "checkpoint.pt").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_read_only_output_folder(demo_root, tmp_path, monkeypatch):
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(SaveError, match=r"cannot write '.*checkpoint.pt': Permission denied"):
        fit(small(), demo_root, "brick", out=tmp_path / "r", progress=False, dataset="demo")


def test_random_weights_are_recorded(demo_root, tmp_path):
    fit(
        small("B", iterations=2, eval_every=2),
        demo_root,
        "brick",
        out=tmp_path / "r",
        progress=False,
        dataset="demo",
        pretrained=False,
    )
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["pretrained"] is False
