"""A results cache keyed by the complete configuration, shared by the notebooks, the tables and the grid.

A run lives in ``<results>/runs/<preset>__<dataset>__<category>__<key>/`` where ``key`` hashes the
configuration's result fields, the data set, the category, a fingerprint of the data and
:data:`TRAINING_CODE_VERSION`. Any change to any of them gives a new folder, so no run ever reuses another's
results. An interrupted run resumes; a finished one keeps only what tables and figures need (its weights,
metrics and history; see :mod:`rclib.runs.run`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .fit import fit
from .lock import run_lock
from .run import FILES, Run, is_finished, load_run
from .spec import RunSpec

# Bump when a change to the training or evaluation code changes results: every cached run is then redone.
TRAINING_CODE_VERSION = "3"  # 3: per-image records, sessions, evaluation points and subsets


def cache_key(spec: RunSpec) -> str:
    """12 hex digits of a hash of everything a run's results depend on (the data by its fingerprint)."""
    doc = {
        "config": spec.config.result_fields(),
        "dataset": spec.dataset,
        "category": spec.label,
        "data": spec.fingerprinted().data,
        "pretrained": spec.pretrained,
        "code": TRAINING_CODE_VERSION,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:12]


def run_folder(results: str | Path, spec: RunSpec) -> Path:
    """Where the cache under ``results`` keeps the run of ``spec`` on the data as it is now."""
    name = f"{spec.config.name.replace('+', 'p')}__{spec.dataset}__{spec.label}__{cache_key(spec)}"
    return Path(results) / "runs" / name


def cached_run(
    spec: RunSpec, results: str | Path, *, recompute: bool = False, progress: bool = True, lazy: bool = True
) -> Run:
    """The finished run of exactly this configuration and data: read if cached (its network built when first
    used, or now without ``lazy``), otherwise trained (or resumed) in its cache folder by :func:`rclib.fit`.
    ``recompute`` trains it again from scratch."""
    spec = spec.fingerprinted()
    out = run_folder(results, spec)
    if not recompute and is_finished(out):
        return load_run(out, spec.config.device, lazy=lazy)
    with run_lock(out):  # one writer per folder: two notebooks or grid jobs never train the same run at once
        if recompute:
            for name in FILES:
                (out / name).unlink(missing_ok=True)
        return fit(
            spec.config,
            spec.data_root,
            spec.category,
            out=out,
            progress=progress,
            dataset=spec.dataset,
            pretrained=spec.pretrained,
            resume=True,
            data=spec.data,
        )
