"""The command line: artefacts on success, one clear line and exit status 2 on bad input, status 1 and a traceback
on request for anything else; help on every option, --no- forms of booleans, the version."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys

import pytest
import torch

from rclib.cli import COMMANDS, build_parser, main
from rclib.data import DataError
from rclib.method import WeightsUnavailableError
from rclib.runs import CheckpointMismatch, TrainingDiverged
from rclib.runs.lock import RunBusy
from rclib.runs.runtime import SaveError


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
    assert {"metrics.json", "history.csv", "model.pt", "steps.csv", "test_images.csv"} == {
        p.name for p in out.iterdir()
    }
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


def _actions(parser: argparse.ArgumentParser, prog: str = "rclib"):
    """Every option and positional of ``parser`` and of its subcommands, as ``(command, action)``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{prog} {name}")
        yield prog, action


def test_every_option_of_every_command_has_help_and_booleans_have_no_forms():
    actions = list(_actions(build_parser()))
    assert {prog for prog, _ in actions} >= {"rclib", "rclib train", "rclib predict", "rclib export", "rclib grid"}
    missing = [f"{prog}: {a.option_strings or a.dest}" for prog, a in actions if not (a.help or "").strip()]
    assert not missing, f"options without help: {missing}"
    flags = [(prog, a) for prog, a in actions if isinstance(a, argparse._StoreTrueAction | argparse._StoreFalseAction)]
    assert not flags, f"booleans without a --no- form: {[(p, a.option_strings) for p, a in flags]}"
    booleans = [a for _, a in actions if isinstance(a, argparse.BooleanOptionalAction)]
    assert len(booleans) >= 10 and all(any(s.startswith("--no-") for s in a.option_strings) for a in booleans)


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"rclib {importlib.metadata.version('rclib')}"


@pytest.mark.parametrize(
    "error,status",
    [
        (DataError("bad folder"), 2),
        (ValueError("bad config"), 2),
        (WeightsUnavailableError("no weights"), 2),
        (CheckpointMismatch("mixed up"), 2),
        (SaveError("disk full"), 2),
        (TrainingDiverged("loss is nan"), 2),
        (FileNotFoundError("no run"), 2),
        (RunBusy("busy"), 2),
        (RuntimeError("a bug"), 1),
        (torch.OutOfMemoryError("out of memory"), 1),
        (KeyError("x"), 1),
    ],
)
def test_expected_errors_are_one_line_and_unexpected_ones_keep_their_traceback(error, status, monkeypatch, capsys):
    def fail(args):
        raise error

    monkeypatch.setitem(COMMANDS, "demo-data", fail)
    monkeypatch.delenv("RCLIB_DEBUG", raising=False)
    assert main(["demo-data", "x"]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    if status == 2:
        assert err.startswith("rclib: error: ")
    else:
        assert err.startswith(f"rclib: unexpected error (run with --debug for the traceback): {type(error).__name__}")
        assert main(["--debug", "demo-data", "x"]) == 1
        assert "Traceback (most recent call last)" in capsys.readouterr().err
        monkeypatch.setenv("RCLIB_DEBUG", "1")
        assert main(["demo-data", "x"]) == 1
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err and "in fail\n    raise error" in err


def test_a_missing_optional_dependency_names_its_extra(monkeypatch, capsys):
    def needs(module):
        def command(args):
            raise ModuleNotFoundError(f"No module named '{module}'", name=module)

        return command

    monkeypatch.setitem(COMMANDS, "student", needs("nbgrader.preprocessors"))
    assert main(["student"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "rclib: error: rclib student needs the optional 'notebooks' dependencies (No module named "
        "'nbgrader.preprocessors'): pip install 'rclib[notebooks]'\n"
    )
    monkeypatch.setitem(COMMANDS, "grid", needs("submitit"))
    assert main(["grid"]) == 2 and "pip install 'rclib[grid]'" in capsys.readouterr().err
    monkeypatch.setitem(COMMANDS, "student", needs("no_such_module"))
    assert main(["student"]) == 1 and "unexpected error" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_it_is_one_line(capsys):
    assert main(["evaluate", "--run", "r", "--device", "cuda"]) == 2
    assert "argument --device: 'cuda' asked for, but CUDA is not available here" in capsys.readouterr().err
    argv = ["train", "--preset", "B", "--data-root", ".", "--category", "x", "--out", "o", "--set", "device=cuda"]
    assert main(argv) == 2
    assert "--set 'device=cuda': 'cuda' asked for, but CUDA is not available here" in capsys.readouterr().err
