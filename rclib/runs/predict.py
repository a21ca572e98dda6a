"""Score new images with a trained run: an overlay per image and one CSV of scores and decisions.

``rclib predict --run RUN_DIR IMAGE_OR_FOLDER... --out DIR`` and :func:`predict_images` do the same. The
decision threshold is the one recorded when the run was trained (``threshold.json``, see
:mod:`rclib.scoring.threshold`), or one given explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..data.images import IMAGE_SUFFIXES, DataError, ImageTransform, denormalize, load_rgb
from ..scoring.anomaly_map import score
from ..scoring.overlay import save_overlay
from ..scoring.threshold import Threshold
from .run import Run
from .runtime import atomic_write_text

PREDICTIONS = "predictions.csv"


def image_paths(inputs: Sequence[str | Path]) -> list[Path]:
    """The images named by ``inputs``: image files, and the images directly inside folders (sorted)."""
    paths: list[Path] = []
    for item in map(Path, inputs):
        if item.is_dir():
            found = sorted(p for p in item.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise DataError(f"folder '{item}' holds no images ({', '.join(IMAGE_SUFFIXES)})")
            paths += found
        elif item.is_file():
            if item.suffix.lower() not in IMAGE_SUFFIXES:
                raise DataError(f"'{item}' is not an image file: expected one of {', '.join(IMAGE_SUFFIXES)}")
            paths.append(item)
        else:
            raise DataError(f"'{item}' does not exist: expected an image file or a folder of images")
    return paths


def run_threshold(run: Run, value: float | None = None) -> Threshold | None:
    """``value`` when given, else the threshold recorded with the run (None if it has none)."""
    if value is not None:
        return Threshold(float(value), "given", 0, "threshold given by the user")
    recorded = run.extra.get("threshold")
    return Threshold(**recorded) if recorded else None


def _overlay_names(paths: list[Path]) -> list[str]:
    """One PNG name per image: its stem, with the parent folder's name where two stems collide."""
    stems = [p.stem for p in paths]
    return [f"{p.parent.name}_{p.stem}.png" if stems.count(p.stem) > 1 else f"{p.stem}.png" for p in paths]


def predict_images(
    run: Run, inputs: Sequence[str | Path], out: str | Path, *, threshold: float | None = None, batch_size: int = 8
) -> pd.DataFrame:
    """Score every image of ``inputs`` with ``run``; write ``out/<image>.png`` overlays (one colour scale for all)
    and ``out/predictions.csv`` (image, score, threshold, decision). Existing predictions are never overwritten."""
    out = Path(out)
    if (out / PREDICTIONS).exists():
        raise DataError(f"'{out}' already holds {PREDICTIONS}; choose another --out folder (nothing was written)")
    paths = image_paths(inputs)
    c = run.config
    side = c.crop_size or c.image_size
    transform = ImageTransform(c.image_size, c.crop_size)
    images, maps, scores = [], [], []
    for start in range(0, len(paths), batch_size):
        batch = []
        for path in paths[start : start + batch_size]:
            img = load_rgb(path)
            if min(img.size) < side:
                raise DataError(
                    f"image '{path}' is {img.size[0]}x{img.size[1]}, smaller than the model's input {side}x{side}"
                )
            batch.append(transform.image(img))
        m, s = score(run.model, torch.stack(batch))
        images += batch
        maps.append(m.float().cpu().numpy())
        scores.append(s.float().cpu().numpy())
    all_maps, all_scores = np.concatenate(maps), np.concatenate(scores)
    chosen = run_threshold(run, threshold)
    decisions = chosen.decide(all_scores) if chosen is not None else None
    vmin = float(all_maps.min())
    vmax = float(max(all_maps.max(), chosen.value if chosen is not None else vmin))
    out.mkdir(parents=True, exist_ok=True)
    names = _overlay_names(paths)
    for i, (path, name) in enumerate(zip(paths, names, strict=True)):
        verdict = "" if decisions is None else (" - anomalous" if decisions[i] else " - normal")
        save_overlay(
            denormalize(images[i]),
            all_maps[i],
            out / name,
            vmin=vmin,
            vmax=vmax,
            title=f"{path.name}: {all_scores[i]:.3f}{verdict}",
            threshold=chosen.value if chosen is not None else None,
        )
    table = pd.DataFrame(
        {
            "image": [str(p) for p in paths],
            "score": all_scores,
            "threshold": chosen.value if chosen is not None else np.nan,
            "decision": ["anomalous" if d else "normal" for d in decisions]
            if decisions is not None
            else "no threshold",
            "overlay": names,
        }
    )
    atomic_write_text(out / PREDICTIONS, table.to_csv(index=False))
    return table
