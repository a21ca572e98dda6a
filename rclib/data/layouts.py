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
* :func:`rclib.data.folder_layout.folder_samples` -- your own images (:class:`~rclib.data.folder_layout.FolderLayout`
  names the folders, as anomalib's ``Folder``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .images import IMAGE_SUFFIXES, DataError, list_images

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
