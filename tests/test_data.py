"""Loaders on fabricated folders (every bad input), image modes, and the demo data's determinism and masks."""

from __future__ import annotations

import dataclasses
import filecmp
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from rclib.data import DataError, DemoSpec, open_dataset, write_demo_data
from rclib.data.demo import DEFECTS, SOURCES, make_defect, regions, texture_contrast


def test_mvtec_layout_items(tiny_mvtec):
    train = open_dataset("mvtec_ad", tiny_mvtec, "widget", "train", image_size=32)
    test = open_dataset("mvtec_ad", tiny_mvtec, "widget", "test", image_size=32)
    assert len(train) == 4 and len(test) == 4
    s = test[1]
    assert s.image.shape == (3, 32, 32) and s.mask.shape == (32, 32) and s.mask.dtype == torch.bool
    assert s.label == 1 and s.mask.any() and "dent" in s.path
    assert test.labels.tolist() == [1, 1, 0, 0]  # folders sorted: dent, good
    assert not test[3].mask.any()


def test_missing_root_and_category(tmp_path, tiny_mvtec):
    with pytest.raises(DataError, match="does not exist"):
        open_dataset("mvtec_ad", tmp_path / "nope", "widget", "train")
    with pytest.raises(DataError, match=r"category 'gadget' not found .* categories there: \['widget'\]"):
        open_dataset("mvtec_ad", tiny_mvtec, "gadget", "train")


def test_empty_train_folder(tiny_mvtec):
    for p in (tiny_mvtec / "widget" / "train" / "good").iterdir():
        p.unlink()
    with pytest.raises(DataError, match="train/good' holds no images"):
        open_dataset("mvtec_ad", tiny_mvtec, "widget", "train")


def test_test_image_without_mask(tiny_mvtec):
    (tiny_mvtec / "widget" / "ground_truth" / "dent" / "001_mask.png").unlink()
    with pytest.raises(DataError, match=r"001.png' has no mask: expected .*001_mask.png"):
        open_dataset("mvtec_ad", tiny_mvtec, "widget", "test")


def test_mask_size_mismatch(tiny_mvtec):
    path = tiny_mvtec / "widget" / "ground_truth" / "dent" / "000_mask.png"
    Image.new("L", (10, 10)).save(path)
    ds = open_dataset("mvtec_ad", tiny_mvtec, "widget", "test", image_size=32)
    with pytest.raises(DataError, match=r"000_mask.png' is 10x10 but its image is 40x40"):
        ds[0]


def test_unreadable_image(tiny_mvtec):
    bad = tiny_mvtec / "widget" / "train" / "good" / "000.png"
    bad.write_bytes(b"not a png")
    ds = open_dataset("mvtec_ad", tiny_mvtec, "widget", "train", image_size=32)
    with pytest.raises(DataError, match=r"cannot read image file .*000.png"):
        ds[0]


def test_unknown_dataset(tiny_mvtec):
    with pytest.raises(DataError, match="unknown dataset 'mvtec'; valid datasets: mvtec_ad"):
        open_dataset("mvtec", tiny_mvtec, "widget", "train")


def test_image_modes_load_identically(tmp_path):
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (24, 24), dtype=np.uint8)
    folder = tmp_path / "c" / "train" / "good"
    folder.mkdir(parents=True)
    Image.fromarray(grey, "L").save(folder / "a_l.png")
    Image.fromarray(np.stack([grey] * 3, -1), "RGB").save(folder / "b_rgb.png")
    Image.fromarray(np.stack([grey] * 3 + [np.full_like(grey, 255)], -1), "RGBA").save(folder / "c_rgba.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(folder / "d_16bit.png")
    assert Image.open(folder / "d_16bit.png").mode.startswith("I")
    ds = open_dataset("mvtec_ad", tmp_path, "c", "train", image_size=32)
    ref = ds[0].image
    for i in range(1, 4):
        assert torch.equal(ds[i].image, ref), ds[i].path


def test_loco_style_mask_folders_are_united(tiny_mvtec):
    gt = tiny_mvtec / "widget" / "ground_truth" / "dent"
    for i in range(2):
        (gt / f"{i:03d}_mask.png").unlink()
        (gt / f"{i:03d}").mkdir()
        for j, (y, x) in enumerate(((2, 2), (20, 20))):
            m = np.zeros((40, 40), np.uint8)
            m[y : y + 5, x : x + 5] = 255
            Image.fromarray(m).save(gt / f"{i:03d}" / f"{j:03d}.png")
    mask = open_dataset("mvtec_ad", tiny_mvtec, "widget", "test", image_size=40)[0].mask
    assert mask[3, 3] and mask[22, 22] and not mask[12, 12]
    only_good = open_dataset("mvtec_ad", tiny_mvtec, "widget", "test", image_size=40, defect_types=("good",))
    assert only_good.labels.tolist() == [0, 0]


def test_medical_folder_labels(tmp_path):
    for split, cls, n in (("train", "NORMAL", 3), ("test", "NORMAL", 2), ("test", "CNV", 1), ("test", "DME", 1)):
        (tmp_path / split / cls).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.new("L", (30, 30), 100).save(tmp_path / split / cls / f"{i}.jpeg")
    assert len(open_dataset("aptos", tmp_path, "aptos", "train", image_size=32)) == 3
    test = open_dataset("oct2017", tmp_path, "oct2017", "test", image_size=32)
    assert sorted(test.labels.tolist()) == [0, 0, 1, 1] and not test.has_masks
    with pytest.raises(DataError, match="does not exist or is not a folder"):
        open_dataset("aptos", tmp_path / "train", "aptos", "train")


def test_demo_data_is_deterministic(tmp_path):
    spec = DemoSpec(size=48, n_train=3, n_test_good=2, n_per_defect=1)
    a = write_demo_data(tmp_path / "a", spec, categories=("brick",))
    b = write_demo_data(tmp_path / "b", spec, categories=("brick",))
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 3 + 2 + 2 * len(DEFECTS) + 1
    for f in files:
        assert filecmp.cmp(a / f, b / f, shallow=False), f
    c = write_demo_data(
        tmp_path / "c", DemoSpec(size=48, n_train=3, n_test_good=2, n_per_defect=1, seed=1), categories=("brick",)
    )
    assert not filecmp.cmp(a / "brick/train/good/000.png", c / "brick/train/good/000.png", shallow=False)


def test_texture_gain_scales_defects_on_busy_textures_only(tmp_path):
    """Brick, on which the defects were tuned, is written byte for byte as without the gain; on grass a scratch
    brightens by the texture's contrast relative to brick's."""
    spec = DemoSpec(size=48, n_train=1, n_test_good=1, n_per_defect=1)
    on = write_demo_data(tmp_path / "on", spec, categories=("brick", "grass"))
    off = write_demo_data(
        tmp_path / "off", dataclasses.replace(spec, texture_gain=False), categories=("brick", "grass")
    )
    for f in sorted(p.relative_to(on / "brick") for p in (on / "brick").rglob("*.png")):
        assert filecmp.cmp(on / "brick" / f, off / "brick" / f, shallow=False), f
    photos = {name: SOURCES[name]().astype(float) / 255 for name in ("brick", "grass")}
    gain = texture_contrast(photos["grass"]) / texture_contrast(photos["brick"])
    assert 2.0 < gain < 2.6

    def scratch_step(root: Path) -> float:
        img = np.asarray(Image.open(root / "grass/test/scratch/000.png"), dtype=float)
        mask = np.asarray(Image.open(root / "grass/ground_truth/scratch/000_mask.png")) > 0
        return float(img[mask].mean())

    assert scratch_step(on) > scratch_step(off) + 0.22 * 255 * (gain - 1) * 0.5  # clipping at white eats some


def test_texture_contrast_is_the_mean_local_std():
    assert texture_contrast(np.full((32, 32), 0.5)) == pytest.approx(0.0, abs=1e-7)
    stripes = np.tile([0.0, 1.0], (32, 16))  # every 9 x 9 window holds 4 or 5 of one value out of 9 per row
    assert texture_contrast(stripes) == pytest.approx(np.sqrt(20 / 81), rel=0.01)


@pytest.mark.parametrize("kind", DEFECTS)
def test_demo_masks_cover_exactly_the_defects(kind):
    rng = np.random.default_rng(5)
    photo = SOURCES["gravel"]().astype(float) / 255
    img, donor = photo[:96, :96], photo[200:296, 200:296]
    defective, alpha = make_defect(img, kind, rng, donor, contrast=1.0)
    mask = alpha >= 0.5
    changed = np.abs(np.round(defective * 255) - np.round(img * 255)) >= 1
    assert mask.sum() > 10
    # nothing changes outside the mask but its anti-aliased rim (at most 2 px wide)
    rim = ndimage.binary_dilation(mask, iterations=2)
    assert not (changed & ~rim).any()
    assert changed[mask].mean() > 0.9  # the masked pixels really are altered


def test_demo_layout_loads(demo_root: Path):
    test = open_dataset("mvtec_ad", demo_root, "grass", "test", image_size=64)
    assert set(test.labels.tolist()) == {0, 1}
    assert all(test[i].mask.any() == bool(test.labels[i]) for i in range(len(test)))


def test_demo_spec_rejects_crops_larger_than_their_regions():
    with pytest.raises(ValueError, match=r"demo size=300: expected 32..256 px"):
        DemoSpec(size=300)
    with pytest.raises(ValueError, match=r"demo size=256: expected 32..197 px"):
        DemoSpec(size=256, layout="strip")
    with pytest.raises(ValueError, match=r"demo layout='grid': expected one of quadrants, strip"):
        DemoSpec(layout="grid")


@pytest.mark.parametrize("layout", ["quadrants", "strip"])
def test_train_and_test_regions_are_disjoint(layout):
    train, test = regions(DemoSpec(layout=layout))
    for t0, b0, l0, r0 in train:
        for t1, b1, l1, r1 in test:
            assert min(b0, b1) <= max(t0, t1) or min(r0, r1) <= max(l0, l1)  # no shared pixel
    covered = np.zeros((512, 512), int)
    for top, bottom, left, right in train + test:
        covered[top:bottom, left:right] += 1
    assert covered.max() == 1
