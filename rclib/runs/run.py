"""A finished run and its folder: ``metrics.json``, ``history.csv``, ``steps.csv`` and ``model.pt``.

``metrics.json`` holds the last and the best-by-I-AUROC evaluation, the configuration, the time spent, the data
and the library versions; ``history.csv`` one row per evaluation; ``steps.csv`` the loss, alpha and per-stage
feature diversity of every iteration; ``test_images.csv`` the last evaluation, one row per test image;
``model.pt`` the trained weights and the configuration. It is written
last-to-first so that ``metrics.json`` marks a complete folder. :func:`read_record` reads a finished run's
record without building its network; :func:`load_run` builds it only when ``run.model`` is first used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import ReContrastConfig
from ..method.model import ReContrast, build_model
from ..scoring.threshold import Calibration
from .checkpoint import CHECKPOINT, CheckpointMismatch, read_checkpoint
from .runtime import atomic_torch_save, atomic_write_text, resolve_device, versions

METRICS = ("I-AUROC", "P-AUROC", "AUPRO")
WEIGHTS = "model.pt"
THRESHOLD = "threshold.json"
TEST_IMAGES = "test_images.csv"
EXPORTS = ("model.onnx", "model.torchscript.pt")  # what rclib export writes beside the weights by default
FILES = ("metrics.json", "history.csv", "steps.csv", TEST_IMAGES, WEIGHTS, THRESHOLD, CHECKPOINT, *EXPORTS)


@dataclass
class Run:
    """A finished (or stopped-early) training run. Its network is built and loaded from the run folder the first
    time :attr:`model` is used (a run read for its metrics alone never builds it)."""

    config: ReContrastConfig
    metrics: dict[str, Any]  # {"last": {...}, "best": {...}}
    history: pd.DataFrame
    steps: pd.DataFrame
    seconds: float
    out: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # data set, category, data fingerprint, ...
    test_images: pd.DataFrame | None = field(default=None, repr=False)  # the last evaluation, per test image
    loaded: ReContrast | None = field(default=None, repr=False)
    loader: Callable[[], ReContrast] | None = field(default=None, repr=False)

    @property
    def model(self) -> ReContrast:
        if self.loaded is None:
            if self.loader is None:
                raise ValueError(f"run {self.out} has no network: it was neither trained here nor saved")
            self.loaded = self.loader()
        return self.loaded

    @property
    def eval_seconds(self) -> float:
        """Time spent evaluating during training (recorded per evaluation in the history)."""
        return float(self.history["eval_seconds"].sum()) if "eval_seconds" in self.history else 0.0

    @property
    def train_seconds_per_iteration(self) -> float:
        """Training cost per iteration, evaluation excluded."""
        return (self.seconds - self.eval_seconds) / max(self.config.iterations, 1)


def summarise(
    history: list[dict[str, Any]], best: dict[str, Any] | None, last: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """``{"last": ..., "best": ...}``: the metrics of the last evaluation (``last``: on the whole test set, where
    the history's rows score a subset) and of the best evaluation of the history by I-AUROC."""
    if not history:
        return {"last": {}, "best": {}}

    def pick(row: dict[str, Any]) -> dict[str, Any]:
        return {k: row[k] for k in (*METRICS, "normal/defect", "F1", "ACC", "iteration", "test_images") if k in row}

    final = history[-1] if last is None else {"iteration": history[-1]["iteration"], **last}
    return {"last": pick(final), "best": pick(best)}


def is_finished(out: Path) -> bool:
    return (out / "metrics.json").exists() and (out / WEIGHTS).exists()


def write_run(run: Run, pretrained: bool) -> None:
    """Write a finished run's folder (weights first, ``metrics.json`` last) and drop its resumable checkpoint."""
    out = run.out
    atomic_torch_save(
        out / WEIGHTS, {"model": run.model.state_dict(), "config": run.config.to_dict(), "pretrained": pretrained}
    )
    atomic_write_text(out / "history.csv", run.history.to_csv(index=False))
    atomic_write_text(out / "steps.csv", run.steps.to_csv(index=False))
    if run.test_images is not None:
        atomic_write_text(out / TEST_IMAGES, run.test_images.to_csv(index=False))
    doc = {
        **run.metrics,
        "config": run.config.to_dict(),
        "seconds": round(run.seconds, 3),
        "eval_seconds": round(run.eval_seconds, 3),
        "train_seconds_per_iteration": round(run.train_seconds_per_iteration, 4),
        "pretrained": pretrained,
        "versions": versions(),
        **run.extra,
    }
    atomic_write_text(out / "metrics.json", json.dumps(doc, indent=1, default=str) + "\n")
    (out / CHECKPOINT).unlink(missing_ok=True)


def write_threshold(out: Path, threshold: Calibration) -> None:
    """Record the run's decision thresholds beside its metrics (:mod:`rclib.scoring.threshold`)."""
    atomic_write_text(out / THRESHOLD, json.dumps(threshold.to_dict(), indent=1) + "\n")


def _read_table(path: Path) -> pd.DataFrame:
    """A CSV written by :func:`write_run` (exact floats; an empty table when nothing was logged)."""
    if not path.read_text().strip():
        return pd.DataFrame()
    return pd.read_csv(path)  # pandas >= 3 parses floats exactly (round trip)


def read_record(out: str | Path) -> dict[str, Any]:
    """A finished run's ``metrics.json`` (last and best metrics, configuration, data, versions); no network is
    built."""
    out = Path(out)
    if not is_finished(out):
        raise FileNotFoundError(f"'{out}' is not a finished run directory (needs metrics.json and {WEIGHTS})")
    return json.loads((out / "metrics.json").read_text())


def load_model(out: Path, device: str = "auto") -> ReContrast:
    """The trained network of the run folder ``out`` on ``device`` (``auto``: CUDA when present), in eval mode."""
    saved = read_checkpoint(out / WEIGHTS)
    config = ReContrastConfig.from_dict(saved["config"])
    model = build_model(config, pretrained=False)
    try:
        model.load_state_dict(saved["model"])
    except RuntimeError as err:
        lines = str(err).splitlines()
        raise CheckpointMismatch(
            f"the weights in '{out / WEIGHTS}' do not fit the {config.name} model with backbone {config.backbone} "
            f"that the run's configuration describes ({lines[-1].strip()[:200]}); the run folder is mixed up"
        ) from None
    return model.to(resolve_device(device)).eval()


def load_run(out: str | Path, device: str = "auto", lazy: bool = False) -> Run:
    """Load a finished run folder; its network goes onto ``device`` now, or when first used with ``lazy``."""
    out = Path(out)
    doc = read_record(out)
    extra = {k: v for k, v in doc.items() if k not in ("last", "best", "config")}
    if (out / THRESHOLD).exists():
        extra["threshold"] = json.loads((out / THRESHOLD).read_text())
    run = Run(
        config=ReContrastConfig.from_dict(doc["config"]),
        metrics={"last": doc["last"], "best": doc["best"]},
        history=_read_table(out / "history.csv"),
        steps=_read_table(out / "steps.csv"),
        seconds=doc.get("seconds", 0.0),
        out=out,
        extra=extra,
        test_images=pd.read_csv(out / TEST_IMAGES) if (out / TEST_IMAGES).exists() else None,
        loader=lambda: load_model(out, device),
    )
    if not lazy:
        run.model  # noqa: B018 - build and load the network now: a mixed-up folder fails here
    return run
