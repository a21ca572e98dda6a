"""Reading image and mask files, and the transform every data set applies.

Transforms follow the official code: ``Resize((S, S))`` (PIL bilinear) -> tensor -> centre crop -> ImageNet
normalisation; masks are resized the same way and binarised *after* resizing. Every image is resized to the
input size, whatever its own size, as the benchmark loaders do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class DataError(ValueError):
    """A data folder or file is not what the loader expects; the message names the path."""


def list_images(folder: Path) -> list[Path]:
    """The image files directly inside ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def load_rgb(path: str | Path) -> Image.Image:
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


def load_mask(path: str | Path, image_size: tuple[int, int]) -> Image.Image:
    """A mask file as 8-bit greyscale; its size must be its image's (``image_size``, width x height)."""
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


def header_size(path: str | Path, what: str = "image") -> tuple[int, int]:
    """Width and height from the file's header (the pixels are not decoded)."""
    try:
        with Image.open(path) as im:
            return im.size
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(f"cannot read {what} file '{path}': {err}") from None


def denormalize(image: torch.Tensor) -> np.ndarray:
    """An ImageNet-normalised ``3 x H x W`` tensor back to an ``H x W x 3`` array in [0, 1]."""
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (image.cpu() * std + mean).clamp(0, 1).permute(1, 2, 0).numpy()


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
