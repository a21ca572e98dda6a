"""Score new images with a trained run, streaming: per image a binary mask, the raw map, an overlay and one JSON line.

``rclib predict --run RUN_DIR IMAGE_OR_FOLDER... --out DIR`` and :func:`predict_images` do the same. Images are
read by a :class:`torch.utils.data.DataLoader` (``batch_size``, ``num_workers``), resized exactly as at training
(:class:`rclib.data.ImageTransform` of the run's configuration, whatever their size), scored, written and
forgotten: memory does not grow with the number of images. ``DIR`` receives

* ``masks/<name>.png`` -- the binary mask ``S^map >= pixel threshold`` (0 or 255), at the image's own size (the
  model's mask resized back with nearest-neighbour; outside a centre crop: 0);
* ``maps/<name>.npy`` -- the raw S^map (float32, at the model's input size: ``crop_size or image_size`` square);
* ``overlays/<name>.png`` -- S^map over the image, on the colour scale fixed at calibration (``colour_scale`` of
  ``threshold.json``, the same for every image and every prediction of the run), the pixel threshold marked;
* ``predictions.jsonl`` -- one line per image, written after its files (so a line marks a finished image: the
  files of an image without its line, cut short by a kill, are written again on resume, which is why they are
  written in place, without the cost of an atomic write each): path, raw and normalised score, threshold,
  decision, anomalous pixels, the image's size and the files written;
* ``predictions.csv`` -- the same table, written when every image is done; ``predict.json`` -- the run, the
  thresholds and the settings the predictions were made with.

An interrupted prediction continues with ``resume=True`` (``--resume``): images already in ``predictions.jsonl``
are skipped; the run, thresholds and settings must be the ones recorded. Without it, a folder that holds
predictions is refused: results are never overwritten silently. The thresholds are the run's
(:mod:`rclib.scoring.threshold`), or given explicitly.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from torch.utils.data import DataLoader
from tqdm import tqdm

from ..data.images import IMAGE_SUFFIXES, DataError, ImageTransform
from ..scoring.anomaly_map import score
from ..scoring.inference import inference_model
from ..scoring.threshold import Calibration, given_threshold
from .prediction_files import ImageFiles, ImageWriter, output_names
from .run import Run
from .runtime import atomic_write_text

PREDICTIONS = "predictions.csv"
JOURNAL = "predictions.jsonl"
SETTINGS = "predict.json"
COLUMNS = ["image", "score", "normalised_score", "threshold", "decision", "anomalous_pixels", "overlay", "mask", "map"]


@dataclass(frozen=True)
class PredictOptions:
    """How :func:`predict_images` runs: ``threshold`` / ``pixel_threshold`` replace the run's image / pixel
    threshold; ``batch_size`` images per forward pass, read by ``num_workers`` loader processes (0: in this
    process); ``overlays`` writes the overlay PNGs (the slowest part: 0.1-0.3 s per image on a CPU);
    ``resume`` continues the predictions already in the output folder; ``progress`` shows a bar on stderr."""

    threshold: float | None = None
    pixel_threshold: float | None = None
    batch_size: int = 8
    num_workers: int = 0
    overlays: bool = True
    resume: bool = False
    progress: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size!r}: expected a positive integer")
        if not isinstance(self.num_workers, int) or self.num_workers < 0:
            raise ValueError(f"num_workers={self.num_workers!r}: expected 0 (read in this process) or more")
        for name in ("threshold", "pixel_threshold"):
            value = getattr(self, name)
            if value is not None and not np.isfinite(value):
                raise ValueError(f"{name}={value!r}: expected a finite number (an S^img / S^map value)")


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


def run_calibration(run: Run, threshold: float | None = None, pixel_threshold: float | None = None) -> Calibration:
    """The run's recorded thresholds with any given one in its place; one clear line when a threshold is missing."""
    recorded = run.extra.get("threshold")
    if not recorded:
        if threshold is None or pixel_threshold is None:
            raise DataError(
                f"run '{run.out}' records no thresholds (runs on --dataset folder do): pass --threshold and "
                "--pixel-threshold"
            )
        return Calibration(given_threshold(threshold), given_threshold(pixel_threshold))
    calibration = Calibration.from_dict(recorded).given(threshold, pixel_threshold)
    if calibration.pixel is not None:
        return calibration
    if pixel_threshold is None:
        raise DataError(
            f"run '{run.out}' records no pixel threshold (its threshold.json predates them): pass --pixel-threshold "
            "or train the run again"
        )
    return replace(calibration, pixel=given_threshold(pixel_threshold))


def settings_record(run: Run, calibration: Calibration, options: PredictOptions) -> dict[str, Any]:
    """What the predictions of a folder are made with; a resumed prediction must match it."""
    c = run.config
    return {
        "run": str(Path(run.out).resolve()) if run.out is not None else None,
        "thresholds": calibration.to_dict(),
        "input": {"image_size": c.image_size, "crop_size": c.crop_size or c.image_size},
        "overlays": options.overlays,
    }


def done_images(out: Path, settings: dict[str, Any], resume: bool) -> set[str]:
    """The images already predicted in ``out`` (a resumed prediction), after checking that ``out`` may be written:
    predictions there are refused without ``resume``, and continued only with the settings they were made with. A
    line cut short by a kill is dropped (its image is predicted again)."""
    journal = out / JOURNAL
    if not resume:
        for name in (JOURNAL, PREDICTIONS):
            if (out / name).exists():
                raise DataError(
                    f"'{out}' already holds {name}; pass --resume to continue those predictions or choose another "
                    "--out folder (nothing was written)"
                )
        return set()
    if (out / SETTINGS).exists():
        before = json.loads((out / SETTINGS).read_text())
        changed = sorted(k for k in settings if before.get(k) != settings[k])
        if changed:
            raise DataError(
                f"'{out}' holds predictions made with other {', '.join(changed)} ({out / SETTINGS}): resume with the "
                "same run and thresholds, or choose another --out folder"
            )
    if not journal.exists():
        return set()
    text = journal.read_text()
    complete = text[: text.rfind("\n") + 1]
    if complete != text:
        atomic_write_text(journal, complete)
    return {json.loads(line)["image"] for line in complete.splitlines()}


def stream(run: Run, todo: Sequence[tuple[Path, str]], writer: ImageWriter, options: PredictOptions) -> None:
    """Predict the ``(path, output name)`` pairs ``todo`` batch by batch, appending one line per image to the
    journal after its files; images upscaled more than 2x are counted in one warning."""
    paths = [p for p, _ in todo]
    c = run.config
    device = next(run.model.parameters()).device
    net = inference_model(run.model) if c.fast_inference else run.model
    images = ImageFiles(paths, ImageTransform(c.image_size, c.crop_size))
    loader = DataLoader(
        images, batch_size=options.batch_size, num_workers=options.num_workers, pin_memory=device.type == "cuda"
    )
    upscaled: list[str] = []
    for folder in ("masks", "maps", "overlays")[: 3 if writer.overlays else 2]:
        (writer.out / folder).mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=len(paths), disable=not options.progress, unit="image", desc="predict", leave=False)
    with (writer.out / JOURNAL).open("a") as journal:
        for batch, index, sizes, errors in loader:
            maps, scores = score(net, batch, channels_last=c.fast_inference or None)
            maps, scores = maps.float().cpu().numpy(), scores.float().cpu().numpy()
            for k, i in enumerate(index.tolist()):
                if errors[k]:
                    journal.flush()
                    raise DataError(
                        f"{errors[k]}; the images before it are recorded in '{writer.out / JOURNAL}': fix or remove "
                        "the file and continue with --resume"
                    )
                size = tuple(sizes[k].tolist())
                line = writer.write(paths[i], todo[i][1], batch[k], maps[k], raw=float(scores[k]), size=size)
                journal.write(json.dumps(line) + "\n")
                if line["upscaled"]:
                    upscaled.append(f"'{paths[i]}' ({size[0]}x{size[1]})")
            journal.flush()
            bar.update(len(index))
    bar.close()
    if upscaled:
        warnings.warn(
            f"{len(upscaled)} of {len(paths)} images have a shorter side below half the model's input "
            f"({c.image_size} px) and were upscaled more than 2x, e.g. {upscaled[0]}: their maps are blurred",
            stacklevel=3,
        )


def _row(line: dict[str, Any]) -> dict[str, Any]:
    files = line["files"]
    return {**{k: line[k] for k in COLUMNS[:6]}, **{k: files.get(k, "") for k in ("overlay", "mask", "map")}}


def predict_images(
    run: Run, inputs: Sequence[str | Path], out: str | Path, options: PredictOptions | None = None, **kwargs: Any
) -> pd.DataFrame:
    """Score every image of ``inputs`` with ``run`` and write ``out`` (see the module); returns the table of
    ``predictions.csv`` (one row per image, in input order; file columns relative to ``out``). ``options`` is a
    :class:`PredictOptions`, or its fields are given as keywords (``threshold=0.4``)."""
    options = options or PredictOptions(**kwargs)
    out = Path(out)
    paths = image_paths(inputs)
    calibration = run_calibration(run, options.threshold, options.pixel_threshold)
    settings = settings_record(run, calibration, options)
    done = done_images(out, settings, options.resume)
    atomic_write_text(out / SETTINGS, json.dumps(settings, indent=1) + "\n")
    todo = [(p, name) for p, name in zip(paths, output_names(paths), strict=True) if str(p) not in done]
    stream(run, todo, ImageWriter(out, calibration, run.config.image_size, options.overlays), options)
    order = {str(p): i for i, p in enumerate(paths)}
    lines = [json.loads(line) for line in (out / JOURNAL).read_text().splitlines()]
    lines = sorted((x for x in lines if x["image"] in order), key=lambda x: order[x["image"]])
    table = pd.DataFrame([_row(x) for x in lines], columns=COLUMNS)
    atomic_write_text(out / PREDICTIONS, table.to_csv(index=False))
    return table
