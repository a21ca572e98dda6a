"""``rclib prepare`` on fabricated raw downloads."""

from __future__ import annotations

import numpy as np
from PIL import Image

from rclib.data import open_dataset
from rclib.data.prepare import fundus_crop, prepare_aptos, prepare_visa


def test_prepare_visa_into_mvtec_layout(tmp_path):
    raw = tmp_path / "raw"
    (raw / "split_csv").mkdir(parents=True)
    rows = ["object,split,label,image,mask"]
    for i, (split, label) in enumerate(
        [("train", "normal"), ("train", "normal"), ("test", "normal"), ("test", "anomaly")]
    ):
        img = raw / "candle" / "Data" / "Images" / f"{i:03d}.JPG"
        img.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), (i * 40, 0, 0)).save(img, format="JPEG")
        mask = ""
        if label == "anomaly":
            m = np.zeros((30, 40), np.uint8)
            m[5:10, 5:10] = 1  # VisA masks are small integers; binarised to 255
            mpath = raw / "candle" / "Data" / "Masks" / f"{i:03d}.png"
            mpath.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(m).save(mpath)
            mask = str(mpath.relative_to(raw))
        rows.append(f"candle,{split},{label},{img.relative_to(raw)},{mask}")
    (raw / "split_csv" / "1cls.csv").write_text("\n".join(rows) + "\n")
    prepare_visa(raw, tmp_path / "visa")
    test = open_dataset("mvtec_ad", tmp_path / "visa", "candle", "test", image_size=32)
    assert test.labels.tolist() == [1, 0] and test[0].mask.any()
    assert len(open_dataset("mvtec_ad", tmp_path / "visa", "candle", "train", image_size=32)) == 2


def test_fundus_crop_centres_the_disc():
    a = np.zeros((200, 300, 3), np.uint8)
    yy, xx = np.mgrid[:200, :300]
    a[(yy - 100) ** 2 + (xx - 200) ** 2 < 60**2] = 120
    out = np.asarray(fundus_crop(Image.fromarray(a), size=64))
    assert out.shape == (64, 64, 3)
    assert out[32, 32].sum() > 0 and out[0, 0].sum() == 0  # disc in the middle, black corners


def test_prepare_aptos_seeded_split(tmp_path):
    raw = tmp_path / "raw"
    (raw / "train_images").mkdir(parents=True)
    lines = ["id_code,diagnosis"]
    for i in range(9):
        lines.append(f"n{i},0")
    for i in range(3):
        lines.append(f"a{i},2")
    for name in [f"n{i}" for i in range(9)] + [f"a{i}" for i in range(3)]:
        Image.new("RGB", (12, 12), (80, 40, 20)).save(raw / "train_images" / f"{name}.png")
    (raw / "train.csv").write_text("\n".join(lines) + "\n")
    counts = prepare_aptos(raw, tmp_path / "aptos", n_train=4)
    assert counts == {"train/NORMAL": 4, "test/NORMAL": 5, "test/ABNORMAL": 3}
    assert (
        sorted(open_dataset("aptos", tmp_path / "aptos", "aptos", "test", image_size=32).labels.tolist())
        == [0] * 5 + [1] * 3
    )
