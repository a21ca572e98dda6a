"""``rclib.fit``: train a configuration on a data folder. The one public way to train; everything else (the
results cache, the notebooks, the command line) calls it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import ConcatDataset, Dataset, Subset

from ..config import ReContrastConfig
from ..data import data_fingerprint, dataset_kind, open_dataset
from ..scoring.evaluate import predict
from ..scoring.threshold import Threshold, normal_quantile_threshold, validation_threshold
from .run import Run, write_threshold
from .spec import categories_of, category_label, fingerprint
from .training import train

HOLDOUT_EVERY = 10  # your own folder without validation/: every 10th normal training image sets the threshold


@dataclass
class RunData:
    """The training set, the test set evaluated during training (None for several categories), the images
    that choose the decision threshold (your own folder only), and the record of the data for ``metrics.json``."""

    train: Dataset
    test: Dataset | None
    info: dict[str, Any]
    calibration: Dataset | None = None


def open_folder_data(config: ReContrastConfig, data_root: str | Path, data: str = "") -> RunData:
    """Your own images (:class:`rclib.data.ImageFolders`): the test set when there is one, and the threshold's
    images: ``validation/`` when present, else every ``HOLDOUT_EVERY``-th normal training image, held out."""
    root = Path(data_root)
    size = dict(image_size=config.image_size, crop_size=config.crop_size)
    normal = open_dataset("folder", root, root.name, "train", **size)
    test = None
    if (root / "test").exists():
        test = open_dataset("folder", root, root.name, "test", mask_threshold=config.mask_threshold, **size)
    info = {
        "dataset": "folder",
        "category": root.name,
        "data_root": str(root),
        "data_fingerprint": data or data_fingerprint(root),
    }
    if test is None:
        info["note"] = f"no test folder ('{root / 'test'}'): trained without evaluation"
    elif not test.has_masks:
        info["note"] = (
            "image-level metrics only: pixel metrics (P-AUROC, AUPRO) need masks, and none were found under "
            f"'{root}' (masks/<kind>/<image stem>.png)"
        )
    if (root / "validation").exists():
        return RunData(normal, test, info, open_dataset("folder", root, root.name, "validation", **size))
    if len(normal) < 2:
        raise ValueError(
            f"'{root / 'train'}' holds 1 image: at least 2 are needed (one is held out to set the threshold)"
        )
    held = list(range(HOLDOUT_EVERY - 1, len(normal), HOLDOUT_EVERY)) or [len(normal) - 1]
    kept = [i for i in range(len(normal)) if i not in set(held)]
    return RunData(Subset(normal, kept), test, info, Subset(normal, held))


def open_run_data(
    config: ReContrastConfig, dataset: str, data_root: str | Path, category: str | Sequence[str], *, data: str = ""
) -> RunData:
    """The training and test sets of ``category`` at the config's image size (``data``: the data's fingerprint
    when it is known already). Several categories train one model on their union (Sec. 3.3's unified
    setting); they are then evaluated per category afterwards."""
    if dataset_kind(dataset) == "folder":
        return open_folder_data(config, data_root, data)
    cats = categories_of(category)
    size = dict(image_size=config.image_size, crop_size=config.crop_size)
    small = dataset_kind(dataset) == "mvtec"  # small enough to keep the decoded images in memory
    trains = [open_dataset(dataset, data_root, c, "train", cache=small, **size) for c in cats]
    test = None
    if len(cats) == 1:
        test = open_dataset(
            dataset, data_root, cats[0], "test", mask_threshold=config.mask_threshold, cache=small, **size
        )
    info = {
        "dataset": dataset,
        "category": category_label(cats),
        "data_root": str(data_root),
        "data_fingerprint": data or fingerprint(dataset, data_root, cats),
    }
    return RunData(trains[0] if len(trains) == 1 else ConcatDataset(trains), test, info)


def calibrate(run: Run, calibration: Dataset) -> Threshold:
    """The run's decision threshold from its calibration images: a quantile of normal images' scores, or the
    F1-optimal threshold when they are labelled (``validation/``)."""
    pred = predict(run.model, calibration, keep_maps=False)
    if pred.labels.any():
        return validation_threshold(pred.scores, pred.labels)
    return normal_quantile_threshold(pred.scores)


def fit(
    config: ReContrastConfig,
    data_root: str | Path,
    category: str | Sequence[str],
    *,
    out: str | Path | None = None,
    progress: bool = True,
    dataset: str = "mvtec_ad",
    pretrained: bool = True,
    resume: bool = False,
    stop_after: int | None = None,
    data: str = "",
) -> Run:
    """Train ``config`` on ``category`` of the data folder ``data_root`` (``dataset`` names its layout),
    evaluating every ``config.eval_every`` iterations; returns a :class:`~rclib.runs.run.Run` with ``.model``,
    ``.metrics`` (``{"last": ..., "best": ...}``) and ``.history``. With ``out`` the run folder is written there
    (``resume=True`` continues an interrupted one); ``stop_after`` ends training early, checkpointed. A list of
    categories trains one model for all of them, without evaluation during training. On your own folder
    (``dataset="folder"``; ``category`` is then only a label) the finished run also records its decision
    threshold (``threshold.json``). ``data`` is the data's fingerprint when the caller computed it already."""
    data = open_run_data(config, dataset, data_root, category, data=data)
    run = train(
        config,
        data.train,
        data.test,
        out=out,
        progress=progress,
        pretrained=pretrained,
        resume=resume,
        run_info=data.info,
        stop_after=stop_after,
    )
    finished = len(run.steps) == config.iterations
    if data.calibration is not None and finished and "threshold" not in run.extra:
        threshold = calibrate(run, data.calibration)
        run.extra["threshold"] = threshold.to_dict()
        if run.out is not None:
            write_threshold(run.out, threshold)
    return run
