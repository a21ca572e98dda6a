"""Runs: what a run trains on (:class:`RunSpec`), the training loop and its steps, checkpoints, finished run
folders and their records, the public :func:`fit`, the results cache, and the runtime machinery (seeds, devices,
atomic writes)."""

from .cache import cached_run, run_folder
from .checkpoint import CheckpointMismatch
from .fit import fit
from .run import Run, load_run, read_record
from .spec import RunSpec, open_split
from .training import TrainingDiverged, train

__all__ = [
    "CheckpointMismatch",
    "Run",
    "RunSpec",
    "TrainingDiverged",
    "cached_run",
    "fit",
    "load_run",
    "open_split",
    "read_record",
    "run_folder",
    "train",
]
