"""What the figures draw: every plot function passes the layout check and carries a caption, the check catches the
faults it is for, savefig writes the caption and the check beside the figure, and the contact sheet shows them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from rclib.config import get_preset
from rclib.course.teaching import plot_hard_mining
from rclib.paper import figures
from rclib.paper import maps as map_figures
from rclib.paper.contact_sheet import contact_sheet, read_entries, sheet_page
from rclib.paper.landscape import Landscape
from rclib.paper.layout import LayoutError, caption_of, check_layout, layout_problems, set_caption
from rclib.runs.run import Run
from rclib.scoring.overlay import overlay_figure

CONFIGS = ["A", "B", "B+hm", "C", "D", "C+cp", "E-gl", "E", "ReContrast"]


@pytest.fixture(autouse=True)
def style():
    figures.apply_style()
    yield
    plt.close("all")


def fake_run(name: str, seed: int, n: int = 40) -> Run:
    """A finished run's record: C-like configurations start with a higher feature std, as with train-mode BN."""
    rng = np.random.default_rng([seed, CONFIGS.index(name)])
    it = np.arange(1, n + 1)
    start = 0.154 if get_preset(name).train_encoder else 0.133
    stds = {f"std_stage{k}": start * (1 - 0.2 * it / n) + rng.normal(0, 1e-3, n) for k in (1, 2, 3)}
    steps = pd.DataFrame({"iteration": it, "loss": 3 * np.exp(-it / 20) + rng.normal(0, 0.02, n), **stds})
    ev = np.arange(10, n + 1, 10)
    metrics = {m: base + rng.normal(0, 1, len(ev)) for m, base in (("I-AUROC", 95), ("P-AUROC", 96), ("AUPRO", 88))}
    history = pd.DataFrame({"iteration": ev, **metrics})
    return Run(config=get_preset(name, seed=seed), metrics={}, history=history, steps=steps, seconds=1.0)


def fake_runs(names: tuple[str, ...], seeds: tuple[int, ...] = (1, 2, 3)) -> dict[str, list[Run]]:
    return {k: [fake_run(k, s) for s in seeds] for k in names}


def fake_images(n: int, size: int = 32) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    masks = [torch.zeros(size, size) for _ in range(n)]
    for mask in masks[1::2]:
        mask[4:12, 4:12] = 1
    return [torch.randn(3, size, size, generator=g) for _ in range(n)], masks


def fake_landscape(seed: int) -> Landscape:
    rng = np.random.default_rng(seed)
    one, two = np.linspace(-0.5, 0.4, 10), np.linspace(-0.45, 0.45, 9)
    values = 0.3 + np.add.outer(one**2, two**2) + rng.normal(0, 0.01, (10, 9))
    return Landscape(values, one, two, float(values[5, 4]))


def maps(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 32, 32))


FIGURES: dict[str, Callable[[], plt.Figure]] = {
    "training_curves": lambda: figures.plot_training_curves(fake_runs(("A", "B", "C", "D")), title="Fig. 5a"),
    "training_curves_variants": lambda: figures.plot_training_curves(
        {"train-mode encoder BN (default)": fake_runs(("C",))["C"], "stability tricks (App. E)": [fake_run("D", 1)]},
        metric="P-AUROC",
        title="Encoder BatchNorm mode and stability tricks",
    ),
    "feature_std": lambda: figures.plot_feature_std(fake_runs(("B", "C")), title="Fig. 5b on demo/brick: B vs C"),
    "feature_std_all": lambda: figures.plot_feature_std(fake_runs(("B", "C", "D", "E", "ReContrast")), title="5b"),
    "anomaly_gallery": lambda: map_figures.plot_anomaly_gallery(
        *fake_images(4), {"L_global (E)": maps(4, 0), "L_global-hm (ReContrast)": maps(4, 1)}, ["good", "crack"] * 2
    ),
    "distance_maps": lambda: map_figures.plot_distance_maps(
        *fake_images(2),
        [list(maps(6, r)) for r in range(2)],
        names=["frozen s4", "frozen s8", "frozen s16", "trained s4", "trained s8", "trained s16"],
        titles=["good", "crack"],
    ),
    "score_distributions": lambda: figures.plot_score_distributions(
        pd.DataFrame({"model": "ReContrast", "score": 0.4 + np.random.default_rng(0).random(40), "label": [0, 1] * 20}),
        title="image scores on demo/brick, seed 1",
    ),
    "landscapes": lambda: map_figures.plot_landscapes(
        {"Config A (L_region)": fake_landscape(0), "Config B (L_global)": fake_landscape(1)},
        title="Fig. 4, whole plane (seed 1)",
    ),
    "results_heatmap": lambda: figures.plot_results_heatmap(
        pd.DataFrame(
            np.random.default_rng(0).uniform(70, 99, (9, 4)),
            index=pd.Index(CONFIGS, name="config"),
            columns=["I-AUROC mean", "AUPRO mean", "I-AUROC best mean", "AUPRO best mean"],
        ),
        title="Table 6 on demo/brick: mean over 3 seeds",
    ),
    "hard_mining": lambda: plot_hard_mining(fake_images(1)[0][0], torch.rand(32, 32), [-1.0, 0.0, 1.0]),
}


@pytest.mark.parametrize("name", FIGURES)
def test_every_plot_function_is_fit_to_print_and_captioned(name):
    fig = FIGURES[name]()
    assert layout_problems(fig) == []
    caption = caption_of(fig)
    assert len(caption) > 80, caption
    if name.startswith(("training_curves", "feature_std")):
        assert "seeds" in caption and "band" in caption
    bars = {m.colorbar.ax for ax in fig.axes for m in (*ax.images, *ax.collections) if m.colorbar}
    for ax in (ax for ax in fig.axes if ax not in bars):  # an axis that does not start at zero is named in the caption
        label = " ".join(ax.get_ylabel().split()).replace("$", "").replace("{", "").replace("}", "")
        if label and ax.get_yticks().size and min(ax.get_ylim()) > 0.05 * max(ax.get_ylim()):
            assert f"{label} starts at" in caption or "does not start at zero" in caption, (label, caption)


def test_the_overlay_is_fit_to_print():
    image = np.random.default_rng(0).random((32, 32, 3))
    fig = overlay_figure(
        image, image[..., 0], vmin=0.0, vmax=1.0, title="new_001.png: 0.734 - anomalous", threshold=0.5
    )
    assert layout_problems(fig) == []


def test_feature_std_caption_says_why_c_starts_higher_and_how_much_it_falls():
    caption = caption_of(figures.plot_feature_std(fake_runs(("B", "C"))))
    assert (
        "Config C is trained with BatchNorm in train mode" in caption and "Config B uses BatchNorm in eval" in caption
    )
    assert re.search(r"Config C -\d+%", caption) and "starts at" in caption
    assert "BatchNorm" not in caption_of(figures.plot_feature_std(fake_runs(("C", "D"))))  # nothing to explain


def test_check_catches_overlapping_texts():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("a title")
    ax.text(0.5, 0.5, "first annotation", transform=ax.transAxes)
    ax.text(0.52, 0.51, "second annotation", transform=ax.transAxes)
    problems = layout_problems(fig)
    assert problems == ["text 'first annotation' overlaps text 'second annotation'"]
    with pytest.raises(LayoutError, match="overlaps"):
        check_layout(fig)


def test_check_catches_tick_labels_run_together():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.bar(range(6), range(6), tick_label=[f"configuration {k}" for k in range(6)])
    assert any("overlaps" in p for p in layout_problems(fig))


def test_check_catches_text_cut_off_by_the_canvas():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.plot([0, 1], [0, 1])
    ax.legend(["a legend far outside"], loc="upper left", bbox_to_anchor=(1.5, 1.0))
    (problem,) = layout_problems(fig)
    assert re.fullmatch(r"text 'a legend far outside' is cut off by the canvas \(\d+ px outside\)", problem)


def test_check_ignores_ticks_outside_the_view():
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.plot([0.02, 0.98], [0.02, 0.98])
    ax.set_xlim(0.01, 0.99)  # the locator's ticks at 0.0 and 1.0 lie outside: not drawn, not checked
    ax.set_xlabel("x")
    assert layout_problems(fig) == []


def _two_maps(bar: bool, label: str = "S$^{map}$") -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(5, 2.5), layout="constrained")
    shown = [
        ax.imshow(np.random.default_rng(i).random((8, 8)), cmap="jet", vmin=0, vmax=1) for i, ax in enumerate(axes)
    ]
    if bar:
        fig.colorbar(shown[0], ax=list(axes)).set_label(label)
    return fig


def test_check_catches_maps_sharing_a_scale_without_a_colour_bar():
    assert layout_problems(_two_maps(bar=False)) == ["2 panel(s) on colour scale jet 0..1 without a colour bar"]
    assert layout_problems(_two_maps(bar=True, label="")) == ["colour bar jet 0..1 has no label"]
    assert layout_problems(_two_maps(bar=True)) == []


def test_check_leaves_masks_and_photographs_alone():
    fig, axes = plt.subplots(1, 2, figsize=(4, 2), layout="constrained")
    axes[0].imshow(np.random.default_rng(0).random((8, 8, 3)))
    axes[1].imshow(np.eye(8), cmap="gray", vmin=0, vmax=1)
    assert layout_problems(fig) == []


def test_savefig_writes_caption_size_and_check_beside_the_figure(tmp_path):
    fig = figures.plot_feature_std(fake_runs(("B", "C")), title="Fig. 5b")
    paths = figures.savefig(fig, "fig5b", tmp_path, caption="Demo data, brick.")
    assert [p.name for p in paths] == ["fig5b.png", "fig5b.pdf", "fig5b.json"]
    record = json.loads(paths[2].read_text())
    assert record["caption"] == caption_of(fig) + " Demo data, brick."
    assert record["size_inches"] == [6.4, 3.4] and record["layout_problems"] == []
    with Image.open(paths[0]) as png:
        assert png.text["Description"] == record["caption"] and png.text["Title"] == "fig5b"
        assert png.size == (6.4 * 150, 3.4 * 150)  # saved at its own size: what the check measured
    assert b"/Subject" in paths[1].read_bytes()
    fresh = figures.plot_feature_std(fake_runs(("B", "C")), title="Fig. 5b")  # a rerun draws it anew
    again = figures.savefig(fresh, "fig5b", tmp_path / "again", caption="Demo data, brick.")
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(paths, again, strict=True))


def test_savefig_flags_a_figure_without_caption_or_fit_to_print(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    ax.text(0.5, 0.5, "one", transform=ax.transAxes)
    ax.text(0.5, 0.5, "two", transform=ax.transAxes)
    with pytest.warns(UserWarning) as caught:
        paths = figures.savefig(fig, "bad", tmp_path)
    assert [str(w.message) for w in caught] == ["figure bad: text 'one' overlaps text 'two'", "figure bad: no caption"]
    record = json.loads(paths[2].read_text())
    assert record["caption"] == "" and record["layout_problems"] == ["text 'one' overlaps text 'two'"]


def _save_two(folder: Path, caption: str) -> None:
    for name, fig in (("curves", FIGURES["feature_std"]()), ("maps", _two_maps(bar=True))):
        figures.savefig(fig, name, folder, caption=caption)


def test_contact_sheet_shows_every_figure_with_its_caption(tmp_path):
    _save_two(tmp_path / "a", "First caption.")
    paths = contact_sheet(tmp_path / "a")
    assert [p.name for p in paths] == ["contact_sheet.png", "contact_sheet.pdf"]
    assert len(re.findall(rb"/Type\s*/Page\b", paths[1].read_bytes())) == 1
    entries = read_entries(tmp_path / "a")
    assert [e.name for e in entries] == ["curves", "maps"] and not any(e.problems for e in entries)
    page = sheet_page(entries, "a")
    drawn = " ".join(" ".join(t.get_text().split()) for ax in page.axes for t in ax.texts)
    assert all(e.caption in drawn for e in entries)
    assert layout_problems(page, dpi=100) == []
    _save_two(tmp_path / "b", "Another caption.")
    assert contact_sheet(tmp_path / "b")[0].read_bytes() != paths[0].read_bytes()  # the captions are drawn
    assert contact_sheet(tmp_path / "empty") == []


def test_contact_sheet_marks_a_figure_without_sidecar(tmp_path):
    _save_two(tmp_path, "A caption.")
    set_caption(fig := _two_maps(bar=False), "Foreign.")
    fig.savefig(tmp_path / "foreign.png")
    entries = {e.name: e for e in read_entries(tmp_path)}
    assert entries["foreign"].problems == ["no sidecar: saved without rclib's savefig"]
