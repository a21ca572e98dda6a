"""GPU-oriented switches, checked on the CPU for closeness to the fp32 path; and deterministic figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from rclib import fit, get_preset
from rclib.plots import apply_style, savefig


def _cfg(**kw):
    return get_preset("ReContrast", backbone="efficientnet_lite0", image_size=64, iterations=4, batch_size=4, eval_every=4, encoder_lr=1e-3, **kw)


@pytest.fixture(scope="module")
def reference(demo_root):
    return fit(_cfg(), demo_root, "brick", dataset="demo", progress=False)


@pytest.mark.parametrize("switch", [dict(amp="bf16"), dict(channels_last=True), dict(num_workers=2, pin_memory=True), dict(compile=True, compile_backend="aot_eager")])
def test_switch_stays_close_to_fp32(switch, demo_root, reference):
    run = fit(_cfg(**switch), demo_root, "brick", dataset="demo", progress=False)
    ref, got = reference.steps.loss.to_numpy(), run.steps.loss.to_numpy()
    assert abs(got[-1] - ref[-1]) / ref[-1] < 1e-2
    if "num_workers" in switch:  # loading in worker processes changes nothing at all
        assert got.tolist() == ref.tolist()


def test_figures_are_byte_identical_on_rerun(tmp_path):
    apply_style()
    for out in ("a", "b"):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [1, 0], label="x")
        ax.set_xlabel("iteration")
        ax.legend()
        savefig(fig, "f", tmp_path / out)
        plt.close(fig)
    for ext in ("png", "pdf"):
        assert (tmp_path / "a" / f"f.{ext}").read_bytes() == (tmp_path / "b" / f"f.{ext}").read_bytes()
    assert b"/FontFile2" in (tmp_path / "a" / "f.pdf").read_bytes()  # TrueType (fonttype 42)
