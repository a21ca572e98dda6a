"""Your own images as a data layout (the pattern of anomalib's ``Folder``): :class:`FolderLayout` names the folders
under a root, :func:`folder_samples` lists a split as the table of samples every layout returns
(:mod:`rclib.data.layouts`). Normal training images, optionally a test folder of normal and anomalous images (or
named folders of anomalous images, with a fraction of the normal images split off for testing, never trained on),
masks optional (matched by file stem), and an optional labelled validation folder.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from .images import IMAGE_SUFFIXES, DataError, header_size, list_images
from .layouts import NORMAL_NAMES, require_dir, require_split, sample_table

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
