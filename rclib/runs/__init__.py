"""Runs: the training loop and its steps, checkpoints, finished run folders, the public :func:`fit`, the results
cache, and the runtime machinery (seeds, devices, atomic writes)."""

from .cache import cached_run, run_folder
from .checkpoint import CheckpointMismatch
from .fit import fit
from .run import Run, load_run
from .training import TrainingDiverged, train

__all__ = ["CheckpointMismatch", "Run", "TrainingDiverged", "cached_run", "fit", "load_run", "run_folder", "train"]
