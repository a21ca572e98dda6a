"""``rclib.fit``: train a configuration on a data folder. The one public way to train; everything else (the
results cache, the notebooks, the command line) calls it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import ConcatDataset, Dataset, Subset

from ..config import ReContrastConfig
from ..data import FolderLayout, data_fingerprint, dataset_kind, has_test_set, open_dataset
from ..data.folder_layout import test_split_applies
from ..scoring.evaluate import predict
from ..scoring.threshold import Calibration, calibrate_thresholds
from .run import Run, write_threshold
from .spec import categories_of, category_label, fingerprint
from .training import train

HOLDOUT_EVERY = 10  # your own folder without validation/: every 10th normal training image sets the thresholds


@dataclass
class RunData:
    """The training set, the test set evaluated during training (None for several categories), the images
    that choose the decision thresholds (your own folder only), and the record of the data for ``metrics.json``."""

    train: Dataset
    test: Dataset | None
    info: dict[str, Any]
    calibration: Dataset | None = None


def open_folder_data(
    config: ReContrastConfig, data_root: str | Path, data: str = "", layout: FolderLayout | None = None
) -> RunData:
    """Your own images (:class:`rclib.data.FolderLayout` names the folders; recorded in the run's ``info`` so that
    evaluation reads the same split): the test set when there is one, and the thresholds' images: the validation
    folder when present, else every ``HOLDOUT_EVERY``-th normal training image, held out of training."""
    root, layout = Path(data_root), layout or FolderLayout()
    size = dict(image_size=config.image_size, crop_size=config.crop_size, layout=layout)
    normal = open_dataset("folder", root, root.name, "train", **size)
    test = None
    if has_test_set(root, layout):
        test = open_dataset("folder", root, root.name, "test", mask_threshold=config.mask_threshold, **size)
    info = {
        "dataset": "folder",
        "category": root.name,
        "data_root": str(root),
        "data_fingerprint": data or data_fingerprint(root),
        "layout": layout.to_dict(),
    }
    if test is None:
        info["note"] = f"no test folder ('{root / layout.test}'): trained without evaluation"
    elif not test.has_masks:
        info["note"] = (
            "image-level metrics only: pixel metrics (P-AUROC, AUPRO) need masks, and none were found under "
            f"'{root}' ({layout.masks}/<kind>/<image stem>.png)"
        )
    if test is not None and test_split_applies(root, layout):
        info["test_split"] = {
            "fraction": layout.test_split,
            "images": int((test.labels == 0).sum()),
            "rule": "evenly spread in name order (rclib.data.folder_layout.split_indices), never trained on",
        }
    if (root / layout.validation).exists():
        return RunData(normal, test, info, open_dataset("folder", root, root.name, "validation", **size))
    if len(normal) < 2:
        raise ValueError(
            f"'{root / layout.normal}' holds 1 training image: at least 2 are needed (one is held out to set the "
            "thresholds)"
        )
    held = list(range(HOLDOUT_EVERY - 1, len(normal), HOLDOUT_EVERY)) or [len(normal) - 1]
    kept = [i for i in range(len(normal)) if i not in set(held)]
    return RunData(Subset(normal, kept), test, info, Subset(normal, held))


def open_run_data(
    config: ReContrastConfig,
    dataset: str,
    data_root: str | Path,
    category: str | Sequence[str],
    *,
    data: str = "",
    layout: FolderLayout | None = None,
) -> RunData:
    """The training and test sets of ``category`` at the config's image size (``data``: the data's fingerprint
    when it is known already; ``layout``: the folders of ``dataset="folder"``). Several categories train one model
    on their union (Sec. 3.3's unified setting); they are then evaluated per category afterwards."""
    if dataset_kind(dataset) == "folder":
        return open_folder_data(config, data_root, data, layout)
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


def calibrate(run: Run, calibration: Dataset) -> Calibration:
    """The run's image and pixel thresholds from its calibration images (:func:`calibrate_thresholds`): S^img and
    S^map of held-out normal images, or of a labelled ``validation/`` folder (with its masks when it has them)."""
    pred = predict(run.model, calibration, keep_maps=True)
    masks = pred.masks if getattr(calibration, "has_masks", False) else None
    return calibrate_thresholds(pred.scores, pred.labels, pred.maps, masks)


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
    layout: FolderLayout | None = None,
) -> Run:
    """Train ``config`` on ``category`` of the data folder ``data_root`` (``dataset`` names its layout),
    evaluating every ``config.eval_every`` iterations; returns a :class:`~rclib.runs.run.Run` with ``.model``,
    ``.metrics`` (``{"last": ..., "best": ...}``) and ``.history``. With ``out`` the run folder is written there
    (``resume=True`` continues an interrupted one); ``stop_after`` ends training early, checkpointed. A list of
    categories trains one model for all of them, without evaluation during training. On your own folder
    (``dataset="folder"``; ``category`` is then only a label) the finished run also records its image and pixel
    thresholds (``threshold.json``, :mod:`rclib.scoring.threshold`; a warning when few images chose them);
    ``layout`` names its folders. ``data`` is the data's fingerprint when the caller computed it already."""
    data = open_run_data(config, dataset, data_root, category, data=data, layout=layout)
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
        calibration = calibrate(run, data.calibration)
        if calibration.warning:
            warnings.warn(calibration.warning, stacklevel=2)
        run.extra["threshold"] = calibration.to_dict()
        if run.out is not None:
            write_threshold(run.out, calibration)
    return run
