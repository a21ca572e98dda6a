"""Run folders have one writer; a run's cost is counted without running it; thresholds are chosen by stated rules."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from rclib import get_preset
from rclib.runs.cost import flop_counter, step_flops
from rclib.runs.lock import LOCK, RunBusy, lock_owner, run_lock
from rclib.scoring.threshold import normal_quantile_threshold, validation_threshold


def test_a_live_writer_blocks_a_second_one_and_a_dead_ones_lock_is_taken_over(tmp_path):
    with run_lock(tmp_path):
        assert lock_owner(tmp_path).startswith(f"process {os.getpid()} on ")
        with pytest.raises(RunBusy, match="is being written by process"), run_lock(tmp_path):
            pass
    assert not (tmp_path / LOCK).exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK).write_text(f"{os.uname().nodename} {dead.stdout.strip()}")  # an earlier version's lock
    assert lock_owner(tmp_path) is None  # its process is gone
    with run_lock(tmp_path):
        assert lock_owner(tmp_path).startswith(f"process {os.getpid()} on ")


def test_depthwise_convolution_backward_is_counted_per_group():
    conv = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
    x = torch.randn(2, 8, 10, 10, requires_grad=True)
    counter = flop_counter()
    with counter:
        conv(x).sum().backward()
    forward = 2 * 8 * 9 * 10 * 10 * 2  # 2 FLOPs per multiply-add, 9 per output, 8 channels, 10x10, batch 2
    assert counter.get_total_flops() == 3 * forward  # forward + input gradient + weight gradient
    frozen_input = flop_counter()
    with frozen_input:
        conv(x.detach()).sum().backward()
    assert (
        frozen_input.get_total_flops() == 2 * forward
    )  # forward + weight gradient: output_mask says no input gradient


def test_step_flops_grow_with_what_is_trained():
    base = dict(backbone="efficientnet_lite0", image_size=64, batch_size=4)
    b, c, recontrast = (step_flops(get_preset(p, **base)) for p in ("B", "C", "ReContrast"))
    assert b < c < recontrast
    assert step_flops(get_preset("B", **{**base, "batch_size": 8})) == pytest.approx(2 * b, rel=0.01)


def test_thresholds_by_their_rules():
    t = normal_quantile_threshold([1.0, 2.0, 3.0, 4.0], quantile=0.5)
    assert t.value == 2.5 and t.method == "normal-quantile" and t.images == 4
    assert list(t.decide([2.0, 2.5, 3.0])) == [False, True, True]
    v = validation_threshold([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    assert v.value == 0.8 and v.method == "validation-f1"
