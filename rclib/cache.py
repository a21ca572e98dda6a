"""A results cache keyed by the complete configuration, shared by the figure and table notebooks.

A run lives in ``<results>/runs/<preset>__<dataset>__<category>__<key>/`` where ``key`` hashes the full
config, the data set, the category, a fingerprint of the data and :data:`TRAINING_CODE_VERSION`. Any change
to any of them gives a new folder, so no run ever reuses another's results. An interrupted run resumes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from torch.utils.data import Dataset

from .config import ReContrastConfig
from .data import DataError, dataset_kind, open_dataset
from .train import ENGINEERING_FIELDS, Run, fit, load_run

# Bump when a change to the training or evaluation code changes results: every cached run is then redone.
TRAINING_CODE_VERSION = "1"
_FULL_HASH_LIMIT = 64 * 2**20


def data_fingerprint(folder: str | Path) -> str:
    """A fingerprint of every file under ``folder``: names and sizes, plus contents for data sets under 64 MiB
    (the demo data), so that regenerating the demo data with other parameters invalidates its runs."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data folder '{folder}' does not exist")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    h = hashlib.sha256()
    for p in files:
        h.update(f"{p.relative_to(folder)}:{p.stat().st_size}\n".encode())
        if total <= _FULL_HASH_LIMIT:
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def cache_key(config: ReContrastConfig, dataset: str, category: str, fingerprint: str, pretrained: bool = True) -> str:
    fields = {k: v for k, v in config.to_dict().items() if k not in ENGINEERING_FIELDS}
    doc = {"config": fields, "dataset": dataset, "category": category, "data": fingerprint, "pretrained": pretrained, "code": TRAINING_CODE_VERSION}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:12]


def category_folder(data_root: str | Path, dataset: str, category: str) -> Path:
    return Path(data_root) if dataset_kind(dataset) == "medical" else Path(data_root) / category


def run_name(config: ReContrastConfig, dataset: str, category: str, fingerprint: str, pretrained: bool = True) -> str:
    return f"{config.name.replace('+', 'p')}__{dataset}__{category}__{cache_key(config, dataset, category, fingerprint, pretrained)}"


def run_dir(results: str | Path, config: ReContrastConfig, dataset: str, category: str, data_root: str | Path, pretrained: bool = True) -> Path:
    """The cache folder of a run of ``config`` on ``dataset``/``category`` as it is now under ``data_root``."""
    return Path(results) / "runs" / run_name(config, dataset, category, data_fingerprint(category_folder(data_root, dataset, category)), pretrained)


def finished_run(out: Path, config: ReContrastConfig, recompute: bool = False) -> Run | None:
    """The finished run cached in ``out``, or ``None`` (also when ``recompute`` asks to train it again)."""
    if recompute or not (out / "metrics.json").exists():
        return None
    return load_run(out, device=config.device if config.device != "auto" else "cpu")


def cached_or_fit(config: ReContrastConfig, train: Dataset, test: Dataset | None, out: Path, recompute: bool = False,
                  progress: bool = True, pretrained: bool = True, run_info: dict | None = None) -> Run:
    """Load the finished run in ``out``, or train it there (resuming if interrupted; from scratch if
    ``recompute``)."""
    if (run := finished_run(out, config, recompute)) is not None:
        return run
    if recompute and out.exists():
        for name in ("metrics.json", "checkpoint.pt", "history.csv", "steps.csv"):
            (out / name).unlink(missing_ok=True)
    return fit(config, train, test, out=out, progress=progress, pretrained=pretrained, resume=True, run_info=run_info)


def cached_fit(
    config: ReContrastConfig,
    dataset: str,
    data_root: str | Path,
    category: str,
    results: str | Path,
    recompute: bool = False,
    progress: bool = True,
    pretrained: bool = True,
) -> Run:
    """The finished run of exactly this configuration and data, trained first if it is not cached."""
    fingerprint = data_fingerprint(category_folder(data_root, dataset, category))
    out = Path(results) / "runs" / run_name(config, dataset, category, fingerprint, pretrained)
    if (run := finished_run(out, config, recompute)) is not None:
        return run  # without opening the data
    train, test, info = open_run_data(config, dataset, data_root, category, fingerprint)
    return cached_or_fit(config, train, test, out, recompute, progress, pretrained, info)


def open_run_data(config: ReContrastConfig, dataset: str, data_root: str | Path, category: str, fingerprint: str | None = None) -> tuple[Dataset, Dataset, dict]:
    """Training and test sets of ``dataset``/``category`` at the config's size, and the run's data record."""
    small = dataset_kind(dataset) == "mvtec"
    size = dict(image_size=config.image_size, crop_size=config.crop_size)
    train = open_dataset(dataset, data_root, category, "train", cache=small, **size)
    test = open_dataset(dataset, data_root, category, "test", mask_threshold=config.mask_threshold, cache=small, **size)
    info = {"dataset": dataset, "category": category, "data_root": str(data_root),
            "data_fingerprint": fingerprint or data_fingerprint(category_folder(data_root, dataset, category))}
    return train, test, info


def fit_on_disk(
    config: ReContrastConfig,
    dataset: str,
    data_root: str | Path,
    category: str,
    out: str | Path | None = None,
    progress: bool = True,
    pretrained: bool = True,
    resume: bool = False,
    stop_after: int | None = None,
) -> Run:
    """Open ``dataset``/``category`` under ``data_root`` and train ``config`` on it (see :func:`rclib.train.fit`)."""
    train, test, info = open_run_data(config, dataset, data_root, category)
    return fit(config, train, test, out=out, progress=progress, pretrained=pretrained, resume=resume, run_info=info, stop_after=stop_after)
