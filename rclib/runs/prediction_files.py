"""What :func:`rclib.runs.predict.predict_images` reads and writes per image: the images, read and transformed as at
training; the output names; and per image its binary mask at the image's own size, its raw map and its overlay,
with the JSON line that records them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from ..data import upscaled_a_lot
from ..data.images import DataError, ImageTransform, denormalize, load_rgb
from ..scoring.overlay import save_overlay
from ..scoring.threshold import Calibration


def output_names(paths: Sequence[Path]) -> list[str]:
    """One file name (no suffix) per image: its stem, with its folder's name where stems collide, and a counter
    where even that collides. The same inputs always give the same names."""
    stems = Counter(p.stem for p in paths)
    names, seen = [], set()
    for p in paths:
        name = f"{p.parent.name}_{p.stem}" if stems[p.stem] > 1 else p.stem
        base, k = name, 1
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name)
        names.append(name)
    return names


class ImageFiles(Dataset):
    """Images read from files and transformed as at training. An item is ``(image, index, (width, height),
    error)``: an unreadable file gives a zero image and the error's one line, so that the main process can stop
    with that line (a loader process's exception would arrive as a traceback)."""

    def __init__(self, paths: Sequence[Path], transform: ImageTransform) -> None:
        self.paths, self.transform = list(paths), transform

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int, torch.Tensor, str]:
        try:
            img = load_rgb(self.paths[index])
        except DataError as err:
            side = self.transform.crop_size
            return torch.zeros(3, side, side), index, torch.zeros(2, dtype=torch.long), str(err)
        return self.transform.image(img), index, torch.tensor(img.size), ""


def full_size_mask(mask: np.ndarray, size: tuple[int, int], image_size: int) -> Image.Image:
    """The model's binary mask (``crop x crop``) at the image's own ``size`` (width, height): placed where the
    centre crop took it from the ``image_size`` square (0 elsewhere), then resized with nearest-neighbour."""
    crop = mask.shape[0]
    canvas = np.zeros((image_size, image_size), np.uint8)
    top = int(round((image_size - crop) / 2.0))  # torchvision's centre crop offset
    canvas[top : top + crop, top : top + crop] = mask.astype(np.uint8) * 255
    return Image.fromarray(canvas).resize(size, Image.Resampling.NEAREST)


@dataclass(frozen=True)
class ImageWriter:
    """Writes one image's mask, map and overlay into ``out`` and returns its JSON line."""

    out: Path
    calibration: Calibration
    image_size: int
    overlays: bool

    def write(self, path: Path, name: str, image: torch.Tensor, amap: np.ndarray, *, raw: float, size: tuple) -> dict:
        image_t, pixel_t = self.calibration.image, self.calibration.pixel
        anomalous = bool(image_t.decide(raw))
        decision = "anomalous" if anomalous else "normal"
        normalised = float(image_t.normalise(raw))
        mask = pixel_t.decide(amap)
        files = {"mask": f"masks/{name}.png", "map": f"maps/{name}.npy"}
        full_size_mask(mask, size, self.image_size).save(self.out / files["mask"], format="PNG")
        np.save(self.out / files["map"], amap.astype(np.float32))
        if self.overlays:
            files["overlay"] = f"overlays/{name}.png"
            vmin, vmax = self.calibration.colour_scale
            save_overlay(
                denormalize(image),
                amap,
                self.out / files["overlay"],
                vmin=vmin,
                vmax=vmax,
                title=f"{path.name}: {raw:.3f} (normalised {normalised:.2f}) - {decision}",
                threshold=pixel_t.value,
            )
        return {
            "image": str(path),
            "score": raw,
            "normalised_score": normalised,
            "threshold": image_t.value,
            "decision": decision,
            "pixel_threshold": pixel_t.value,
            "anomalous_pixels": int(mask.sum()),
            "size": list(size),
            "upscaled": upscaled_a_lot(size, self.image_size),
            "files": files,
        }
