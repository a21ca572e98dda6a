"""Convert official downloads into the layouts rclib reads (as the official ``prepare_data`` scripts do).

* VisA: ``split_csv/1cls.csv`` -> ``OUT/<class>/{train/good, test/good, test/bad, ground_truth/bad}``.
* APTOS 2019: ``train.csv`` + ``train_images/`` -> fundus-cropped 512 px PNGs in
  ``OUT/{train/NORMAL, test/NORMAL, test/ABNORMAL}``; a ``random.seed(1)`` shuffle of the grade-0 images
  picks 1,000 for training, the other 2,662 images are the test set.
* ISIC2018 task 3: NV images of the training set -> ``train/NORMAL``; the official validation set -> test.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from .images import DataError


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise DataError(f"{what} not found: expected '{path}'")
    return path


def prepare_visa(raw: Path, out: Path) -> dict[str, int]:
    """VisA's 1-class split into the MVTec layout; masks binarised (``!= 0`` -> 255)."""
    table = _require(Path(raw) / "split_csv" / "1cls.csv", "VisA split file")
    counts: dict[str, int] = {}
    with open(table, newline="") as f:
        for row in csv.DictReader(f):
            cls, split, label = row["object"], row["split"], row["label"]
            kind = "good" if label == "normal" else "bad"
            src = _require(Path(raw) / row["image"], "VisA image")
            dst = Path(out) / cls / split / kind / src.name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            if kind == "bad" and row.get("mask"):
                mask = np.asarray(Image.open(_require(Path(raw) / row["mask"], "VisA mask")).convert("L")) != 0
                gt = Path(out) / cls / "ground_truth" / "bad" / f"{src.stem}.png"
                gt.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(mask.astype(np.uint8) * 255).save(gt)
            counts[f"{cls}/{split}"] = counts.get(f"{cls}/{split}", 0) + 1
    return counts


def fundus_crop(img: Image.Image, size: int = 512, margin: int = 5) -> Image.Image:
    """The official APTOS crop: foreground = channel sum > 30, largest component, a square around its
    centroid with the larger bounding-box side plus a margin (zero padding outside), resized to ``size``."""
    a = np.asarray(img.convert("RGB"))
    labels, n = ndimage.label(a.astype(int).sum(-1) > 30)
    if n == 0:
        return img.convert("RGB").resize((size, size), Image.BILINEAR)
    largest = 1 + int(np.argmax(ndimage.sum(np.ones_like(labels), labels, range(1, n + 1))))
    ys, xs = np.nonzero(labels == largest)
    cy, cx = ys.mean(), xs.mean()
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) / 2 + margin
    y0, x0 = int(round(cy - half)), int(round(cx - half))
    side = int(round(2 * half))
    canvas = np.zeros((side, side, 3), np.uint8)
    sy, sx = max(0, y0), max(0, x0)
    ey, ex = min(a.shape[0], y0 + side), min(a.shape[1], x0 + side)
    canvas[sy - y0 : ey - y0, sx - x0 : ex - x0] = a[sy:ey, sx:ex]
    return Image.fromarray(canvas).resize((size, size), Image.BILINEAR)


def prepare_aptos(raw: Path, out: Path, n_train: int = 1000) -> dict[str, int]:
    table = _require(Path(raw) / "train.csv", "APTOS label file")
    with open(table, newline="") as f:
        rows = list(csv.DictReader(f))
    normal = [r["id_code"] for r in rows if r["diagnosis"] == "0"]
    abnormal = [r["id_code"] for r in rows if r["diagnosis"] != "0"]
    random.Random(1).shuffle(normal)  # the official random.seed(1); random.shuffle(...)
    splits = {"train/NORMAL": normal[:n_train], "test/NORMAL": normal[n_train:], "test/ABNORMAL": abnormal}
    for folder, ids in splits.items():
        (Path(out) / folder).mkdir(parents=True, exist_ok=True)
        for i in ids:
            src = _require(Path(raw) / "train_images" / f"{i}.png", "APTOS image")
            fundus_crop(Image.open(src)).save(Path(out) / folder / f"{i}.png")
    return {k: len(v) for k, v in splits.items()}


def prepare_isic2018(raw: Path, out: Path) -> dict[str, int]:
    """ISIC 2018 Task 3 in the medical layout: the training images diagnosed as nevi (``NV``) are the normal class
    and train; the official validation images are the test set (nevi normal, every other lesion abnormal)."""
    raw = Path(raw)
    parts = {
        "train": (
            "ISIC2018_Task3_Training_Input",
            "ISIC2018_Task3_Training_GroundTruth/ISIC2018_Task3_Training_GroundTruth.csv",
        ),
        "test": (
            "ISIC2018_Task3_Validation_Input",
            "ISIC2018_Task3_Validation_GroundTruth/ISIC2018_Task3_Validation_GroundTruth.csv",
        ),
    }
    counts: dict[str, int] = {}
    for split, (images, table) in parts.items():
        with open(_require(raw / table, "ISIC2018 ground-truth table"), newline="") as f:
            for row in csv.DictReader(f):
                normal = float(row["NV"]) == 1.0
                if split == "train" and not normal:
                    continue
                folder = f"{split}/{'NORMAL' if normal else 'ABNORMAL'}"
                dst = Path(out) / folder / f"{row['image']}.jpg"
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(_require(raw / images / f"{row['image']}.jpg", "ISIC2018 image"), dst)
                counts[folder] = counts.get(folder, 0) + 1
    return counts


PREPARERS = {"visa": prepare_visa, "aptos": prepare_aptos, "isic2018": prepare_isic2018}
