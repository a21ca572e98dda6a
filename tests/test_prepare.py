"""``rclib prepare`` on fabricated raw downloads."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from rclib.cli import main
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


def _isic_part(raw, images: str, table: str, rows: list[tuple[str, str]]) -> None:
    """One part of a fabricated ISIC 2018 Task 3 download: its JPEGs and its one-hot ground-truth table."""
    classes = ["MEL", "NV", "BCC", "AKIEC", "BKL", "DF", "VASC"]
    (raw / images).mkdir(parents=True)
    (raw / table).parent.mkdir(parents=True)
    lines = ["image," + ",".join(classes)]
    for name, diagnosis in rows:
        Image.new("RGB", (20, 16), (len(name) * 9, 60, 30)).save(raw / images / f"{name}.jpg", format="JPEG")
        lines.append(name + "," + ",".join("1.0" if c == diagnosis else "0.0" for c in classes))
    (raw / table).write_text("\n".join(lines) + "\n")


def test_prepare_isic2018_trains_on_nevi_only_and_tests_on_every_class(tmp_path, capsys):
    raw = tmp_path / "raw"
    _isic_part(
        raw,
        "ISIC2018_Task3_Training_Input",
        "ISIC2018_Task3_Training_GroundTruth/ISIC2018_Task3_Training_GroundTruth.csv",
        [("ISIC_0000001", "NV"), ("ISIC_0000002", "MEL"), ("ISIC_0000003", "NV"), ("ISIC_0000004", "BCC")],
    )
    _isic_part(
        raw,
        "ISIC2018_Task3_Validation_Input",
        "ISIC2018_Task3_Validation_GroundTruth/ISIC2018_Task3_Validation_GroundTruth.csv",
        [("ISIC_0000010", "NV"), ("ISIC_0000011", "DF"), ("ISIC_0000012", "MEL")],
    )
    out = tmp_path / "isic2018"
    assert main(["prepare", "isic2018", str(raw), str(out)]) == 0
    counts = json.loads(capsys.readouterr().out)["images"]
    assert counts == {"train/NORMAL": 2, "test/NORMAL": 1, "test/ABNORMAL": 2}  # lesions other than nevi never train
    assert sorted(p.name for p in (out / "train" / "NORMAL").iterdir()) == ["ISIC_0000001.jpg", "ISIC_0000003.jpg"]
    test = open_dataset("isic2018", out, "isic2018", "test", image_size=32)
    assert sorted(test.labels.tolist()) == [0, 1, 1]
    assert len(open_dataset("isic2018", out, "isic2018", "train", image_size=32)) == 2


def test_prepare_isic2018_names_the_missing_table(tmp_path, capsys):
    assert main(["prepare", "isic2018", str(tmp_path / "raw"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ISIC2018 ground-truth table not found" in err, err
