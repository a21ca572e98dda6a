"""Folder data sets behind one interface: every item is a :class:`Sample` (image, mask, label, path).

* :class:`MVTecLayout` -- ``<category>/train/good``, ``<category>/test/<defect>``,
  ``<category>/ground_truth/<defect>/<name>_mask.png``: MVTec AD, VisA (after ``rclib prepare visa``),
  MVTec LOCO (a folder of masks per image) and the embedded demo data.
* :class:`MedicalFolder` -- ``train/NORMAL`` and ``test/<class>`` (``NORMAL`` = 0, any other folder = 1):
  APTOS, OCT2017 and ISIC2018 after preparation; image labels only.
* :class:`ImageFolders` -- your own images: normal training images, optionally a test folder of normal and
  anomalous images, masks optional (matched by file stem, as anomalib's ``Folder`` does).

Transforms follow the official code: ``Resize((S, S))`` (PIL bilinear) -> tensor -> centre crop ->
ImageNet normalisation; masks are resized the same way and binarised *after* resizing.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class DataError(ValueError):
    """A data folder or file is not what the loader expects; the message names the path."""


class Sample(NamedTuple):
    image: torch.Tensor  # 3 x S x S, ImageNet-normalised
    mask: torch.Tensor  # S x S, bool (all False for normal images and for image-label-only data sets)
    label: int  # 0 normal, 1 anomalous
    path: str


def load_rgb(path: Path) -> Image.Image:
    """Open any image file as 8-bit RGB: L, P, RGBA (alpha dropped) and 16-bit/float greyscale (scaled to
    8 bit) all give the same pixels for the same picture."""
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode.startswith("I;16") or im.mode in ("I", "F"):
                a = np.asarray(im, dtype=np.float64)
                full_scale = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
                im = Image.fromarray(np.clip(np.round(a / full_scale * 255.0), 0, 255).astype(np.uint8))
            return im.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(f"cannot read image file '{path}': {err}") from None


def denormalize(image: torch.Tensor) -> np.ndarray:
    """An ImageNet-normalised ``3 x H x W`` tensor back to an ``H x W x 3`` array in [0, 1]."""
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (image.cpu() * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()


def _list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


class ImageTransform:
    """Resize -> tensor -> centre crop (-> normalise for images, -> binarise for masks)."""

    def __init__(self, image_size: int, crop_size: int | None = None, mask_threshold: float = 0.0):
        self.image_size, self.crop_size, self.mask_threshold = image_size, crop_size or image_size, mask_threshold

    def image(self, img: Image.Image) -> torch.Tensor:
        t = TF.to_tensor(TF.resize(img, [self.image_size] * 2, InterpolationMode.BILINEAR, antialias=True))
        t = TF.center_crop(t, [self.crop_size] * 2)
        return TF.normalize(t, IMAGENET_MEAN, IMAGENET_STD)

    def mask(self, mask: Image.Image) -> torch.Tensor:
        t = TF.to_tensor(TF.resize(mask, [self.image_size] * 2, InterpolationMode.BILINEAR, antialias=True))
        return TF.center_crop(t, [self.crop_size] * 2)[0] > self.mask_threshold

    def empty_mask(self) -> torch.Tensor:
        return torch.zeros(self.crop_size, self.crop_size, dtype=torch.bool)


class _FolderDataset(Dataset):
    has_masks = True
    min_side = 0  # images whose shorter side is smaller than this are refused (0: any size)

    def __init__(self, items: list[tuple[Path, int, list[Path]]], transform: ImageTransform, cache: bool):
        self.items, self.transform, self.cache = items, transform, cache
        self._cache: dict[int, Sample] = {}

    def __len__(self) -> int:
        return len(self.items)

    @property
    def labels(self) -> np.ndarray:
        return np.array([label for _, label, _ in self.items])

    def __getitem__(self, index: int) -> Sample:
        if index in self._cache:
            return self._cache[index]
        path, label, mask_paths = self.items[index]
        img = load_rgb(path)
        if min(img.size) < self.min_side:
            raise DataError(
                f"image '{path}' is {img.size[0]}x{img.size[1]}, smaller than the model's input "
                f"{self.min_side}x{self.min_side}: use larger images or a smaller image_size"
            )
        image = self.transform.image(img)
        if mask_paths:
            mask = None
            for mp in mask_paths:
                m_img = _load_mask(mp, img.size)
                m = self.transform.mask(m_img)
                mask = m if mask is None else mask | m
        else:
            mask = self.transform.empty_mask()
        sample = Sample(image, mask, label, str(path))
        if self.cache:
            self._cache[index] = sample
        return sample


def _load_mask(path: Path, image_size: tuple[int, int]) -> Image.Image:
    try:
        with Image.open(path) as m:
            m.load()
            mask = (
                m.convert("L")
                if not m.mode.startswith("I")
                else Image.fromarray((np.asarray(m) > 0).astype(np.uint8) * 255)
            )
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(f"cannot read mask file '{path}': {err}") from None
    if mask.size != image_size:
        raise DataError(
            f"mask '{path}' is {mask.size[0]}x{mask.size[1]} but its image is {image_size[0]}x{image_size[1]}"
        )
    return mask


class MVTecLayout(_FolderDataset):
    """One category of an MVTec-AD-layout folder. ``split`` is ``"train"`` (``train/good``) or ``"test"``
    (every ``test/<defect>`` folder; ``good`` is normal). ``defect_types`` restricts the test folders (MVTec
    LOCO: ``("good", "logical_anomalies")``). Masks: ``ground_truth/<defect>/<name>_mask.png`` (MVTec AD,
    VisA, demo), ``<name>.png``, or a folder ``<name>/`` of masks that are united (MVTec LOCO)."""

    def __init__(
        self,
        root: str | Path,
        category: str,
        split: str = "train",
        image_size: int = 256,
        crop_size: int | None = None,
        mask_threshold: float = 0.0,
        defect_types: tuple[str, ...] | None = None,
        cache: bool = False,
    ) -> None:
        root = Path(root)
        if not root.is_dir():
            raise DataError(f"data root '{root}' does not exist or is not a folder")
        base = root / category
        if not base.is_dir():
            found = sorted(p.name for p in root.iterdir() if (p / "train").is_dir())
            raise DataError(
                f"category '{category}' not found under '{root}' (expected '{base}/train/good'); "
                f"categories there: {found or 'none'}"
            )
        if split not in ("train", "test"):
            raise DataError(f"split must be 'train' or 'test', got {split!r}")
        self.root, self.category, self.split = root, category, split
        items = self._train_items(base) if split == "train" else self._test_items(base, defect_types)
        super().__init__(items, ImageTransform(image_size, crop_size, mask_threshold), cache)

    @staticmethod
    def _train_items(base: Path) -> list[tuple[Path, int, list[Path]]]:
        folder = base / "train" / "good"
        if not folder.is_dir():
            raise DataError(f"training folder '{folder}' is missing (MVTec layout: <category>/train/good/*.png)")
        images = _list_images(folder)
        if not images:
            raise DataError(f"training folder '{folder}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return [(p, 0, []) for p in images]

    @staticmethod
    def _test_items(base: Path, defect_types: tuple[str, ...] | None) -> list[tuple[Path, int, list[Path]]]:
        test = base / "test"
        if not test.is_dir():
            raise DataError(f"test folder '{test}' is missing (MVTec layout: <category>/test/<defect>/*.png)")
        folders = sorted(p for p in test.iterdir() if p.is_dir())
        if defect_types is not None:
            unknown = set(defect_types) - {f.name for f in folders}
            if unknown:
                raise DataError(
                    f"defect type(s) {sorted(unknown)} not found in '{test}'; found {[f.name for f in folders]}"
                )
            folders = [f for f in folders if f.name in defect_types]
        items = []
        for folder in folders:
            for img in _list_images(folder):
                if folder.name == "good":
                    items.append((img, 0, []))
                else:
                    items.append((img, 1, _find_masks(base / "ground_truth" / folder.name, img)))
        if not items:
            raise DataError(f"test folder '{test}' holds no images")
        return items


def _find_masks(gt_folder: Path, image: Path) -> list[Path]:
    for candidate in (gt_folder / f"{image.stem}_mask.png", gt_folder / f"{image.stem}.png"):
        if candidate.is_file():
            return [candidate]
    per_image = gt_folder / image.stem
    if per_image.is_dir() and _list_images(per_image):
        return _list_images(per_image)
    raise DataError(f"test image '{image}' has no mask: expected '{gt_folder / (image.stem + '_mask.png')}'")


class MedicalFolder(_FolderDataset):
    """``train/NORMAL`` for training; every ``test/<class>`` folder for testing (``NORMAL`` = 0, others 1).
    Image labels only: masks are empty and :attr:`has_masks` is False."""

    has_masks = False

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        image_size: int = 256,
        crop_size: int | None = None,
        cache: bool = False,
    ):
        root = Path(root)
        if not root.is_dir():
            raise DataError(f"data root '{root}' does not exist or is not a folder")
        if split not in ("train", "test"):
            raise DataError(f"split must be 'train' or 'test', got {split!r}")
        folder = root / split
        if not folder.is_dir():
            raise DataError(f"folder '{folder}' is missing (expected {split}/NORMAL and, for test, test/<class>)")
        classes = ["NORMAL"] if split == "train" else sorted(p.name for p in folder.iterdir() if p.is_dir())
        items = []
        for cls in classes:
            if not (folder / cls).is_dir():
                raise DataError(f"folder '{folder / cls}' is missing")
            items += [(p, int(cls != "NORMAL"), []) for p in _list_images(folder / cls)]
        if not items:
            raise DataError(f"no images found under '{folder}'")
        super().__init__(items, ImageTransform(image_size, crop_size), cache)


NORMAL_NAMES = ("good", "normal", "NORMAL", "ok", "OK")


class ImageFolders(_FolderDataset):
    """Your own images in one folder ``root``, in the layout of MVTec AD with everything but the training
    images optional::

        root/train/                 normal training images (directly inside, or in train/good/)
        root/test/good/             normal test images (also named normal or ok)
        root/test/<kind>/           anomalous test images, one folder per kind, any names
        root/masks/<kind>/<stem>.*  optional pixel masks, matched by file stem (or ground_truth/<kind>/<stem>_mask.*)
        root/validation/...         optional labelled images laid out like test/, for the decision threshold

    Masks are all or nothing: when none is found :attr:`has_masks` is False and only image-level metrics apply.
    Images of any size above ``image_size``, mode (L, RGB, RGBA, 16-bit) and common format are read.
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        image_size: int = 256,
        crop_size: int | None = None,
        mask_threshold: float = 0.0,
        cache: bool = False,
    ) -> None:
        root = Path(root)
        if not root.is_dir():
            raise DataError(f"data root '{root}' does not exist or is not a folder")
        if split not in ("train", "test", "validation"):
            raise DataError(f"split must be 'train', 'test' or 'validation', got {split!r}")
        self.root, self.split, self.min_side = root, split, image_size
        items = self._train_items(root) if split == "train" else self._labelled_items(root, split)
        for path, _, masks in items:  # headers only: bad files fail now, not in the middle of training
            size = _header_size(path, "image")
            if min(size) < image_size:
                raise DataError(
                    f"image '{path}' is {size[0]}x{size[1]}, smaller than the model's input {image_size}x{image_size}: "
                    "use larger images or a smaller image_size"
                )
            for mask in masks:
                if _header_size(mask, "mask") != size:
                    m = _header_size(mask, "mask")
                    raise DataError(f"mask '{mask}' is {m[0]}x{m[1]} but its image is {size[0]}x{size[1]}")
        self.has_masks = any(masks for _, _, masks in items)
        super().__init__(items, ImageTransform(image_size, crop_size, mask_threshold), cache)

    @staticmethod
    def _train_items(root: Path) -> list[tuple[Path, int, list[Path]]]:
        folder = root / "train"
        if not folder.is_dir():
            raise DataError(
                f"training folder '{folder}' is missing (expected normal images in '{folder}' or '{folder}/good')"
            )
        images = _list_images(folder) or (_list_images(folder / "good") if (folder / "good").is_dir() else [])
        if not images:
            raise DataError(f"training folder '{folder}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return [(p, 0, []) for p in images]

    @staticmethod
    def _labelled_items(root: Path, split: str) -> list[tuple[Path, int, list[Path]]]:
        folder = root / split
        if not folder.is_dir():
            raise DataError(f"{split} folder '{folder}' is missing (expected {split}/good and {split}/<anomaly kind>)")
        kinds = sorted(p for p in folder.iterdir() if p.is_dir())
        normal = [k for k in kinds if k.name in NORMAL_NAMES]
        anomalous = [k for k in kinds if k.name not in NORMAL_NAMES]
        items = [(p, 0, []) for k in normal for p in _list_images(k)]
        if not items:
            raise DataError(f"{split} folder '{folder}' holds no normal images: expected them in '{folder}/good'")
        bad = [(p, k.name) for k in anomalous for p in _list_images(k)]
        if not bad:
            raise DataError(
                f"{split} folder '{folder}' holds no anomalous images (only {', '.join(k.name for k in normal)}): "
                f"I-AUROC is undefined without them; add a folder of anomalous images such as '{folder}/defect'"
            )
        index = _mask_index(root)
        masks = [index.get((kind, p.stem)) for p, kind in bad]
        found = sum(m is not None for m in masks)
        if 0 < found < len(bad):
            missing = next(p for (p, _), m in zip(bad, masks, strict=True) if m is None)
            raise DataError(
                f"masks were found for {found} of {len(bad)} anomalous images under '{root}', but not for "
                f"'{missing}': give a mask for every anomalous image (masks/<kind>/<stem>.png) or for none"
            )
        return items + [(p, 1, [m] if m is not None else []) for (p, _), m in zip(bad, masks, strict=True)]


def _header_size(path: Path, what: str) -> tuple[int, int]:
    """Width and height from the file's header (the pixels are not decoded)."""
    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(f"cannot read {what} file '{path}': {err}") from None


def _mask_index(root: Path) -> dict[tuple[str, str], Path]:
    """Masks under ``root`` by (anomaly kind, image stem): ``masks/<kind>/<stem>.*`` or
    ``ground_truth/<kind>/<stem>_mask.*`` (MVTec AD's naming) or ``ground_truth/<kind>/<stem>.*``."""
    index: dict[tuple[str, str], Path] = {}
    for top in ("ground_truth", "masks"):  # masks/ wins when both exist
        for kind in sorted(p for p in (root / top).glob("*") if p.is_dir()):
            for p in _list_images(kind):
                index[(kind.name, p.stem.removesuffix("_mask"))] = p
    return index
