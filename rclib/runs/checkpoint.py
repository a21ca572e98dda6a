"""What a run carries from one iteration to the next, and its resumable checkpoint on disk.

``checkpoint.pt`` holds the model, both optimisers, the iteration, the history, the RNG states and the
configuration: everything needed to continue a killed run to the same result. It is written atomically, and it
lives in the run folder only until the run finishes; a finished run keeps its weights alone (``model.pt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..config import ReContrastConfig
from ..method.model import ReContrast
from .runtime import atomic_torch_save, rng_state, set_rng_state, versions

CHECKPOINT = "checkpoint.pt"


class CheckpointMismatch(ValueError):
    """A checkpoint (or finished run) belongs to another configuration, or cannot be read."""


@dataclass
class TrainingState:
    """The mutable state of a training run."""

    model: ReContrast
    optimizers: list[torch.optim.Optimizer]
    iteration: int = 0  # updates made so far
    history: list[dict[str, Any]] = field(default_factory=list)  # one row per evaluation
    steps: list[dict[str, Any]] = field(default_factory=list)  # one row per iteration
    best: dict[str, Any] | None = None  # the evaluation with the highest I-AUROC so far (later ones win ties)
    seconds: float = 0.0  # wall time of the sessions before this one (a resumed run)
    # one entry per process that trained this run: the iterations it started and stopped at (a resumed run has two)
    sessions: list[dict[str, int]] = field(default_factory=list)
    last: dict[str, Any] | None = None  # the last evaluation's metrics on the whole test set
    test_images: pd.DataFrame | None = None  # the last evaluation, one row per test image


def save_checkpoint(
    path: Path, state: TrainingState, config: ReContrastConfig, *, seconds: float, pretrained: bool
) -> None:
    """Write ``state`` (with ``seconds`` of wall time in total) to ``path`` atomically."""
    atomic_torch_save(
        path,
        {
            "model": state.model.state_dict(),
            "optimizers": [o.state_dict() for o in state.optimizers],
            "iteration": state.iteration,
            "history": state.history,
            "steps": state.steps,
            "best": state.best,
            "seconds": seconds,
            "sessions": state.sessions,
            "rng": rng_state(),
            "config": config.to_dict(),
            "pretrained": pretrained,
            "versions": versions(),
        },
    )


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The contents of a checkpoint (or weights) file; any unreadable file raises :class:`CheckpointMismatch`."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling error means the same thing to the user
        raise CheckpointMismatch(f"cannot read checkpoint '{path}': {type(err).__name__}: {err}") from None


def check_resumable(saved: dict[str, Any], config: ReContrastConfig, path: Path) -> None:
    """Raise :class:`CheckpointMismatch` unless ``saved`` was written for the same result fields as ``config``."""
    a, b = ReContrastConfig.from_dict(saved).result_fields(), config.result_fields()
    diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
    if diff:
        shown = ", ".join(f"{k}: saved {v[0]!r} vs requested {v[1]!r}" for k, v in sorted(diff.items()))
        raise CheckpointMismatch(
            f"'{path}' was written for another configuration ({shown}); use another --out folder or drop --resume"
        )


def restore(state: TrainingState, saved: dict[str, Any]) -> None:
    """Put a checkpoint's model, optimisers, history and RNG states into ``state``."""
    state.model.load_state_dict(saved["model"])
    for opt, opt_state in zip(state.optimizers, saved["optimizers"], strict=True):
        opt.load_state_dict(opt_state)
    state.iteration, state.history, state.steps = saved["iteration"], saved["history"], saved["steps"]
    state.best, state.seconds = saved["best"], saved["seconds"]
    state.sessions = [dict(s) for s in saved.get("sessions", [])]  # checkpoints before rclib recorded sessions: none
    set_rng_state(saved["rng"])
