"""Data sets of the paper, the embedded demo data and the preparation of official downloads, behind one
interface: :func:`open_dataset` lists a split with its layout's function (:mod:`rclib.data.layouts`) and reads it
with one dataset class (:class:`ImageDataset`); every item is a :class:`Sample`."""

from __future__ import annotations

from pathlib import Path

from .dataset import ImageDataset, Sample
from .demo import DemoSpec, ensure_demo_data, write_demo_data, write_demo_folder
from .fingerprint import data_fingerprint
from .folder_layout import FolderLayout, folder_samples, has_test_set, upscaled_a_lot
from .images import DataError, ImageTransform, denormalize, load_rgb
from .layouts import medical_samples, mvtec_samples

MVTEC_CATEGORIES = (
    "carpet",
    "grid",
    "leather",
    "tile",
    "wood",
    "bottle",
    "cable",
    "capsule",
    "hazelnut",
    "metal_nut",
    "pill",
    "screw",
    "toothbrush",
    "transistor",
    "zipper",
)
MVTEC_TEXTURES = MVTEC_CATEGORIES[:5]
VISA_CATEGORIES = (
    "candle",
    "capsules",
    "cashew",
    "chewinggum",
    "fryum",
    "macaroni1",
    "macaroni2",
    "pcb1",
    "pcb2",
    "pcb3",
    "pcb4",
    "pipe_fryum",
)
LOCO_CATEGORIES = ("breakfast_box", "juice_bottle", "pushpins", "screw_bag", "splicing_connectors")
DEMO_CATEGORIES = ("brick", "grass", "gravel")

# data set name -> (folder kind, categories); medical sets have a single pseudo-category named after them, and
# "folder" (your own images, :func:`rclib.data.folder_layout.folder_samples`) is the category folder itself
DATASETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "mvtec_ad": ("mvtec", MVTEC_CATEGORIES),
    "visa": ("mvtec", VISA_CATEGORIES),
    "mvtec_loco": ("mvtec", LOCO_CATEGORIES),
    "demo": ("mvtec", DEMO_CATEGORIES),
    "aptos": ("medical", ("aptos",)),
    "oct2017": ("medical", ("oct2017",)),
    "isic2018": ("medical", ("isic2018",)),
    "folder": ("folder", ()),
}


def dataset_kind(name: str) -> str:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")
    return DATASETS[name][0]


def category_folder(name: str, root: str | Path, category: str) -> Path:
    """The folder that holds ``category`` of data set ``name`` under ``root`` (medical sets and your own
    folder: ``root`` itself)."""
    return Path(root) / category if dataset_kind(name) == "mvtec" else Path(root)


def open_dataset(
    name: str,
    root: str | Path,
    category: str,
    split: str,
    *,
    image_size: int = 256,
    crop_size: int | None = None,
    mask_threshold: float = 0.0,
    cache: bool = False,
    defect_types: tuple[str, ...] | None = None,
    layout: FolderLayout | None = None,
) -> ImageDataset:
    """The ``split`` of ``category`` in data set ``name`` stored under ``root``.

    MVTec-layout sets (``mvtec_ad``, ``visa``, ``mvtec_loco``, ``demo``) read ``root/<category>``; medical
    sets (``aptos``, ``oct2017``, ``isic2018``) read ``root`` itself (``train/NORMAL``, ``test/<class>``), and
    ``folder`` reads your own images in ``root`` (named by ``layout``; ``category`` is ignored). Every image is
    resized to ``image_size`` whatever its own size, as the benchmark loaders do; a folder's images that this
    enlarges more than 2x are named in a warning.
    """
    kind = dataset_kind(name)
    transform = ImageTransform(image_size, crop_size, mask_threshold)
    if kind == "medical":
        return ImageDataset(medical_samples(root, split), transform, cache=cache, has_masks=False)
    if kind == "folder":
        table = folder_samples(root, split, layout or FolderLayout(), image_size=image_size)
        return ImageDataset(table, transform, cache=cache, has_masks=bool(table.masks.map(len).any()))
    return ImageDataset(mvtec_samples(root, category, split, defect_types), transform, cache=cache)


__all__ = [
    "DATASETS",
    "DEMO_CATEGORIES",
    "DataError",
    "DemoSpec",
    "FolderLayout",
    "ImageDataset",
    "LOCO_CATEGORIES",
    "MVTEC_CATEGORIES",
    "MVTEC_TEXTURES",
    "Sample",
    "VISA_CATEGORIES",
    "category_folder",
    "data_fingerprint",
    "dataset_kind",
    "denormalize",
    "ensure_demo_data",
    "has_test_set",
    "load_rgb",
    "open_dataset",
    "upscaled_a_lot",
    "write_demo_data",
    "write_demo_folder",
]
