"""Data layouts: one function per layout that lists a split's samples as a table, validated in one place.

Every function returns a :class:`pandas.DataFrame` with one row per image and the columns of
:data:`SAMPLE_COLUMNS`: ``path``, ``label`` (0 normal, 1 anomalous), ``masks`` (a tuple of mask files, empty for
normal images and for image-label-only data sets), ``split`` and ``kind`` (the defect type, ``good`` for normal
images). :class:`rclib.data.dataset.ImageDataset` reads any of them.

* :func:`mvtec_samples` -- ``<category>/train/good``, ``<category>/test/<defect>``,
  ``<category>/ground_truth/<defect>/<name>_mask.png``: MVTec AD, VisA (after ``rclib prepare visa``),
  MVTec LOCO (a folder of masks per image) and the embedded demo data.
* :func:`medical_samples` -- ``train/NORMAL`` and ``test/<class>`` (``NORMAL`` = 0, any other folder = 1):
  APTOS, OCT2017 and ISIC2018 after preparation; image labels only.
* :func:`folder_samples` -- your own images (:class:`FolderLayout` names the folders): normal training images,
  optionally a test folder of normal and anomalous images, masks optional (matched by file stem, as anomalib's
  ``Folder`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .images import IMAGE_SUFFIXES, DataError, header_size, list_images

SAMPLE_COLUMNS = ["path", "label", "masks", "split", "kind"]
NORMAL_NAMES = ("good", "normal", "NORMAL", "ok", "OK")


def sample_table(rows: list[tuple[Path, int, tuple[Path, ...], str, str]]) -> pd.DataFrame:
    """The table of ``(path, label, masks, split, kind)`` rows, paths as strings."""
    return pd.DataFrame(
        [(str(p), label, tuple(str(m) for m in masks), split, kind) for p, label, masks, split, kind in rows],
        columns=SAMPLE_COLUMNS,
    )


def require_dir(path: Path, what: str, expected: str = "") -> Path:
    """``path`` if it is a folder; else one clear line naming it (and what the layout expects there)."""
    if not path.is_dir():
        raise DataError(f"{what} '{path}' does not exist or is not a folder" + (f" ({expected})" if expected else ""))
    return path


def require_split(split: str, valid: tuple[str, ...]) -> None:
    if split not in valid:
        raise DataError(f"split must be {' or '.join(repr(s) for s in valid)}, got {split!r}")


def require_images(folder: Path, what: str) -> list[Path]:
    images = list_images(folder)
    if not images:
        raise DataError(f"{what} '{folder}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return images


# --- MVTec AD layout -------------------------------------------------------------------------------------------
def mvtec_samples(
    root: str | Path, category: str, split: str = "train", defect_types: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """One category of an MVTec-AD-layout folder. ``split`` is ``"train"`` (``train/good``) or ``"test"``
    (every ``test/<defect>`` folder; ``good`` is normal). ``defect_types`` restricts the test folders (MVTec
    LOCO: ``("good", "logical_anomalies")``). Masks: ``ground_truth/<defect>/<name>_mask.png`` (MVTec AD,
    VisA, demo), ``<name>.png``, or a folder ``<name>/`` of masks that are united (MVTec LOCO)."""
    root = require_dir(Path(root), "data root")
    base = root / category
    if not base.is_dir():
        found = sorted(p.name for p in root.iterdir() if (p / "train").is_dir())
        raise DataError(
            f"category '{category}' not found under '{root}' (expected '{base}/train/good'); "
            f"categories there: {found or 'none'}"
        )
    require_split(split, ("train", "test"))
    if split == "train":
        folder = require_dir(base / "train" / "good", "training folder", "MVTec layout: <category>/train/good/*.png")
        return sample_table([(p, 0, (), split, "good") for p in require_images(folder, "training folder")])
    test = require_dir(base / "test", "test folder", "MVTec layout: <category>/test/<defect>/*.png")
    folders = sorted(p for p in test.iterdir() if p.is_dir())
    if defect_types is not None:
        unknown = set(defect_types) - {f.name for f in folders}
        if unknown:
            raise DataError(
                f"defect type(s) {sorted(unknown)} not found in '{test}'; found {[f.name for f in folders]}"
            )
        folders = [f for f in folders if f.name in defect_types]
    rows = []
    for folder in folders:
        normal = folder.name == "good"
        for img in list_images(folder):
            masks = () if normal else _mvtec_masks(base / "ground_truth" / folder.name, img)
            rows.append((img, int(not normal), masks, split, folder.name))
    if not rows:
        raise DataError(f"test folder '{test}' holds no images")
    return sample_table(rows)


def _mvtec_masks(gt_folder: Path, image: Path) -> tuple[Path, ...]:
    for candidate in (gt_folder / f"{image.stem}_mask.png", gt_folder / f"{image.stem}.png"):
        if candidate.is_file():
            return (candidate,)
    per_image = gt_folder / image.stem
    if per_image.is_dir() and list_images(per_image):
        return tuple(list_images(per_image))
    raise DataError(f"test image '{image}' has no mask: expected '{gt_folder / (image.stem + '_mask.png')}'")


# --- prepared medical data sets --------------------------------------------------------------------------------
def medical_samples(root: str | Path, split: str = "train") -> pd.DataFrame:
    """``train/NORMAL`` for training; every ``test/<class>`` folder for testing (``NORMAL`` = 0, others 1).
    Image labels only: no masks."""
    root = require_dir(Path(root), "data root")
    require_split(split, ("train", "test"))
    folder = require_dir(root / split, "folder", f"expected {split}/NORMAL and, for test, test/<class>")
    classes = ["NORMAL"] if split == "train" else sorted(p.name for p in folder.iterdir() if p.is_dir())
    rows = []
    for cls in classes:
        require_dir(folder / cls, "folder")
        rows += [(p, int(cls != "NORMAL"), (), split, cls) for p in list_images(folder / cls)]
    if not rows:
        raise DataError(f"no images found under '{folder}'")
    return sample_table(rows)


# --- your own images -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FolderLayout:
    """The folder names of your own images under one root (the defaults follow MVTec AD)::

    root/train/                 normal training images (directly inside, or in train/good/)
    root/test/good/             normal test images (also named normal or ok)
    root/test/<kind>/           anomalous test images, one folder per kind, any names
    root/masks/<kind>/<stem>.*  optional pixel masks, matched by file stem (or ground_truth/<kind>/<stem>_mask.*)
    root/validation/...         optional labelled images laid out like test/, for the decision threshold
    """

    train: str = "train"
    test: str = "test"
    validation: str = "validation"
    masks: str = "masks"
    normal_names: tuple[str, ...] = NORMAL_NAMES


def folder_samples(root: str | Path, split: str = "train", layout: FolderLayout | None = None) -> pd.DataFrame:
    """Your own images in ``root``. Masks are all or nothing: a test split either has a mask for every anomalous
    image or none. Headers are read now, so that a bad file fails here and not in the middle of training."""
    root, layout = require_dir(Path(root), "data root"), layout or FolderLayout()
    require_split(split, ("train", "test", "validation"))
    table = _folder_train(root, layout) if split == "train" else _folder_labelled(root, split, layout)
    for path, masks in zip(table.path, table.masks, strict=True):
        size = header_size(path, "image")
        for mask in masks:
            if (m := header_size(mask, "mask")) != size:
                raise DataError(f"mask '{mask}' is {m[0]}x{m[1]} but its image is {size[0]}x{size[1]}")
    return table


def _folder_train(root: Path, layout: FolderLayout) -> pd.DataFrame:
    folder = root / layout.train
    require_dir(folder, "training folder", f"expected normal images in '{folder}' or '{folder}/good'")
    images = list_images(folder) or (list_images(folder / "good") if (folder / "good").is_dir() else [])
    if not images:
        raise DataError(f"training folder '{folder}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return sample_table([(p, 0, (), "train", "good") for p in images])


def _folder_labelled(root: Path, split: str, layout: FolderLayout) -> pd.DataFrame:
    name = layout.test if split == "test" else layout.validation
    folder = require_dir(root / name, f"{split} folder", f"expected {name}/good and {name}/<anomaly kind>")
    kinds = sorted(p for p in folder.iterdir() if p.is_dir())
    normal = [k for k in kinds if k.name in layout.normal_names]
    anomalous = [k for k in kinds if k.name not in layout.normal_names]
    rows = [(p, 0, (), split, "good") for k in normal for p in list_images(k)]
    if not rows:
        raise DataError(f"{split} folder '{folder}' holds no normal images: expected them in '{folder}/good'")
    bad = [(p, k.name) for k in anomalous for p in list_images(k)]
    if not bad:
        raise DataError(
            f"{split} folder '{folder}' holds no anomalous images (only {', '.join(k.name for k in normal)}): "
            f"I-AUROC is undefined without them; add a folder of anomalous images such as '{folder}/defect'"
        )
    index = _mask_index(root, layout)
    masks = [index.get((kind, p.stem)) for p, kind in bad]
    found = sum(m is not None for m in masks)
    if 0 < found < len(bad):
        missing = next(p for (p, _), m in zip(bad, masks, strict=True) if m is None)
        raise DataError(
            f"masks were found for {found} of {len(bad)} anomalous images under '{root}', but not for "
            f"'{missing}': give a mask for every anomalous image ({layout.masks}/<kind>/<stem>.png) or for none"
        )
    rows += [(p, 1, (m,) if m is not None else (), split, kind) for (p, kind), m in zip(bad, masks, strict=True)]
    return sample_table(rows)


def _mask_index(root: Path, layout: FolderLayout) -> dict[tuple[str, str], Path]:
    """Masks under ``root`` by (anomaly kind, image stem): ``<masks>/<kind>/<stem>.*`` or
    ``ground_truth/<kind>/<stem>_mask.*`` (MVTec AD's naming) or ``ground_truth/<kind>/<stem>.*``."""
    index: dict[tuple[str, str], Path] = {}
    for top in ("ground_truth", layout.masks):  # the layout's mask folder wins when both exist
        for kind in sorted(p for p in (root / top).glob("*") if p.is_dir()):
            for p in list_images(kind):
                index[(kind.name, p.stem.removesuffix("_mask"))] = p
    return index
