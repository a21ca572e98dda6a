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
* :func:`folder_samples` -- your own images (:class:`FolderLayout` names the folders, as anomalib's ``Folder``):
  normal training images, optionally a test folder of normal and anomalous images (or named folders of anomalous
  images, with a fraction of the normal images split off for testing), masks optional (matched by file stem).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
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
UPSCALE_LIMIT = 0.5  # an image whose shorter side is below this fraction of the input side is upscaled "a lot"


def upscaled_a_lot(size: tuple[int, int], image_size: int) -> bool:
    """Whether an image of ``size`` (width, height) is enlarged more than 2x when resized to the model's input."""
    return min(size) < UPSCALE_LIMIT * image_size


@dataclass(frozen=True)
class FolderLayout:
    """The folders of your own images under one root, in the spirit of anomalib's ``Folder`` (the defaults follow
    MVTec AD; every name is relative to the root)::

    root/<normal>/                 normal training images (directly inside, or in <normal>/good/)
    root/<test>/good/              normal test images (also named normal or ok)
    root/<test>/<kind>/            anomalous test images, one folder per kind, any names
    root/<abnormal>/               more anomalous test images (any folders; the kind is the folder's name)
    root/<masks>/<kind>/<stem>.*   optional pixel masks, matched by file stem (also <masks>/<stem>.* and
                                   ground_truth/<kind>/<stem>_mask.*)
    root/<validation>/...          optional labelled images laid out like <test>/, for the decision thresholds

    Without normal test images of its own, a test set takes ``test_split`` of the normal images instead: evenly
    spread in name order (:func:`split_indices`), deterministic, and never trained on.
    """

    normal: str = "train"
    test: str = "test"
    abnormal: tuple[str, ...] = ()
    masks: str = "masks"
    validation: str = "validation"
    test_split: float = 0.2
    normal_names: tuple[str, ...] = NORMAL_NAMES

    def __post_init__(self) -> None:
        object.__setattr__(self, "abnormal", tuple(self.abnormal))
        object.__setattr__(self, "normal_names", tuple(self.normal_names))
        if not isinstance(self.test_split, int | float) or not 0 <= self.test_split < 1:
            raise ValueError(
                f"test_split={self.test_split!r}: expected a fraction of the normal images in [0, 1) (0: no split)"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict) -> FolderLayout:
        return cls(**doc)


def has_test_set(root: str | Path, layout: FolderLayout) -> bool:
    """Whether ``root`` has test images: a test folder, or named folders of anomalous images."""
    return (Path(root) / layout.test).is_dir() or bool(layout.abnormal)


def split_indices(n: int, fraction: float) -> list[int]:
    """The positions (in name order) of the ``round(fraction * n)`` images (at least one) split off for testing:
    evenly spread, the last image always among them. The same folder always gives the same split."""
    k = max(1, round(fraction * n))
    return [(i + 1) * n // k - 1 for i in range(k)]


def test_split_applies(root: Path, layout: FolderLayout) -> bool:
    """Whether the test set takes its normal images from the normal folder (it has a test set, no normal test
    images of its own, and ``test_split`` > 0)."""
    test = root / layout.test
    own = test.is_dir() and any((test / n).is_dir() and list_images(test / n) for n in layout.normal_names)
    return has_test_set(root, layout) and not own and layout.test_split > 0


def folder_samples(
    root: str | Path, split: str = "train", layout: FolderLayout | None = None, *, image_size: int | None = None
) -> pd.DataFrame:
    """Your own images in ``root``. Masks are all or nothing: a test split either has a mask for every anomalous
    image or none. Headers are read now, so that a bad file fails here and not in the middle of training; with
    ``image_size``, images that the resize to the input enlarges more than 2x are named in one warning."""
    root, layout = require_dir(Path(root), "data root"), layout or FolderLayout()
    require_split(split, ("train", "test", "validation"))
    table = _folder_train(root, layout) if split == "train" else _folder_labelled(root, split, layout)
    small = []
    for path, masks in zip(table.path, table.masks, strict=True):
        size = header_size(path, "image")
        if image_size is not None and upscaled_a_lot(size, image_size):
            small.append((path, size))
        for mask in masks:
            if (m := header_size(mask, "mask")) != size:
                raise DataError(f"mask '{mask}' is {m[0]}x{m[1]} but its image is {size[0]}x{size[1]}")
    if small:
        (path, (w, h)), n = small[0], len(table)
        warnings.warn(
            f"{len(small)} of {n} {split} images under '{root}' have a shorter side below half the model's input "
            f"({image_size} px) and are upscaled more than 2x, e.g. '{path}' ({w}x{h}): their maps are blurred; use "
            "larger images or a smaller image_size",
            stacklevel=2,
        )
    return table


def _normal_images(root: Path, layout: FolderLayout) -> list[Path]:
    folder = root / layout.normal
    require_dir(folder, "normal image folder", f"expected normal training images in '{folder}' or '{folder}/good'")
    images = list_images(folder) or (list_images(folder / "good") if (folder / "good").is_dir() else [])
    if not images:
        raise DataError(f"normal image folder '{folder}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return images


def _split_normal(root: Path, layout: FolderLayout) -> tuple[list[Path], list[Path]]:
    """The normal images as (training, testing): all for training unless :func:`test_split_applies`."""
    images = _normal_images(root, layout)
    if not test_split_applies(root, layout):
        return images, []
    held = set(split_indices(len(images), layout.test_split))
    if len(images) - len(held) < 2:
        raise DataError(
            f"'{root / layout.normal}' holds {len(images)} normal images: too few to split {layout.test_split:.0%} "
            f"off for testing (at least 2 must stay for training); add normal test images to "
            f"'{root / layout.test}/good'"
        )
    return [p for i, p in enumerate(images) if i not in held], [p for i, p in enumerate(images) if i in held]


def _folder_train(root: Path, layout: FolderLayout) -> pd.DataFrame:
    return sample_table([(p, 0, (), "train", "good") for p in _split_normal(root, layout)[0]])


def _folder_labelled(root: Path, split: str, layout: FolderLayout) -> pd.DataFrame:
    name = layout.test if split == "test" else layout.validation
    folder = root / name
    named = split == "test" and layout.abnormal
    if not named:
        require_dir(folder, f"{split} folder", f"expected {name}/good and {name}/<anomaly kind>")
    kinds = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    normal = [p for k in kinds if k.name in layout.normal_names for p in list_images(k)]
    anomalous = [k for k in kinds if k.name not in layout.normal_names]
    if split == "test":
        anomalous += [require_dir(root / a, "abnormal image folder", "named by abnormal") for a in layout.abnormal]
        normal = normal or _split_normal(root, layout)[1]
    if not normal:
        raise DataError(
            f"{split} folder '{folder}' holds no normal images: expected them in '{folder}/good'"
            + (" (or a test_split of the normal images above 0)" if split == "test" else "")
        )
    rows = [(p, 0, (), split, "good") for p in normal]
    bad = [(p, k.name) for k in anomalous for p in list_images(k)]
    if not bad:
        raise DataError(
            f"{split} folder '{folder}' holds no anomalous images (only good): "
            f"I-AUROC is undefined without them; add a folder of anomalous images such as '{folder}/defect'"
        )
    index = _mask_index(root, layout)
    masks = [index.get((kind, p.stem), index.get(("", p.stem))) for p, kind in bad]
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
    ``ground_truth/<kind>/<stem>_mask.*`` (MVTec AD's naming) or ``ground_truth/<kind>/<stem>.*``; masks directly
    inside ``<masks>/`` are filed under kind "" (anomalib's flat mask folder: any kind, by stem)."""
    index: dict[tuple[str, str], Path] = {}
    for top in (root / "ground_truth", root / layout.masks):  # the layout's mask folder wins when both exist
        if not top.is_dir():
            continue
        for p in list_images(top):
            index[("", p.stem.removesuffix("_mask"))] = p
        for kind in sorted(p for p in top.iterdir() if p.is_dir()):
            for p in list_images(kind):
                index[(kind.name, p.stem.removesuffix("_mask"))] = p
    return index
