"""A results cache keyed by the complete configuration, shared by the figure and table notebooks.

A run lives in ``<results>/runs/<preset>__<dataset>__<category>__<key>/`` where ``key`` hashes the
configuration's result fields, the data set, the category, a fingerprint of the data and
:data:`TRAINING_CODE_VERSION`. Any change to any of them gives a new folder, so no run ever reuses another's
results. An interrupted run resumes; a finished one keeps only what tables and figures need (its weights,
metrics and history; see :mod:`rclib.runs.run`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from ..config import ReContrastConfig
from .fit import category_label, fingerprint, fit
from .lock import run_lock
from .run import FILES, Run, is_finished, load_run

# Bump when a change to the training or evaluation code changes results: every cached run is then redone.
TRAINING_CODE_VERSION = "2"


def cache_key(config: ReContrastConfig, dataset: str, category: str, data: str, pretrained: bool = True) -> str:
    """12 hex digits of a hash of everything a run's results depend on (``data``: the data fingerprint)."""
    doc = {
        "config": config.result_fields(),
        "dataset": dataset,
        "category": category,
        "data": data,
        "pretrained": pretrained,
        "code": TRAINING_CODE_VERSION,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:12]


def run_folder(
    results: str | Path,
    config: ReContrastConfig,
    dataset: str,
    data_root: str | Path,
    category: str | Sequence[str],
    pretrained: bool = True,
) -> Path:
    """Where the cache keeps the run of ``config`` on ``category`` of the data as it is now under ``data_root``."""
    label = category_label(category)
    key = cache_key(config, dataset, label, fingerprint(dataset, data_root, category), pretrained)
    return Path(results) / "runs" / f"{config.name.replace('+', 'p')}__{dataset}__{label}__{key}"


def cached_run(
    config: ReContrastConfig,
    dataset: str,
    data_root: str | Path,
    category: str | Sequence[str],
    results: str | Path,
    recompute: bool = False,
    progress: bool = True,
    pretrained: bool = True,
) -> Run:
    """The finished run of exactly this configuration and data: loaded if cached, otherwise trained (or
    resumed) in its cache folder by :func:`rclib.fit`. ``recompute`` trains it again from scratch."""
    out = run_folder(results, config, dataset, data_root, category, pretrained)
    if not recompute and is_finished(out):
        return load_run(out, config.device)
    with run_lock(out):  # one writer per folder: two notebooks or grid jobs never train the same run at once
        if recompute:
            for name in FILES:
                (out / name).unlink(missing_ok=True)
        return fit(
            config, data_root, category, out=out, progress=progress, dataset=dataset, pretrained=pretrained, resume=True
        )
