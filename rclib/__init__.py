"""rclib: a reproducible, teachable implementation of ReContrast (Guo et al., NeurIPS 2023).

The package reads bottom-up: :mod:`rclib.config` and :mod:`rclib.data` (configurations, data sets), then
:mod:`rclib.method` (the paper's Section 2), :mod:`rclib.scoring` (anomaly maps and metrics), :mod:`rclib.runs`
(training, checkpoints, the results cache) and :mod:`rclib.paper` (profiles, tables, figures, claims and the
notebooks' helpers). Imports run only downwards.

Public API: :data:`PRESETS`, :func:`get_preset`, :class:`ReContrastConfig`, :func:`build_model`, :func:`fit`
(train on a data folder), :func:`score` (anomaly maps and image scores of a batch).
"""

from importlib.metadata import version

from .config import PRESETS, ReContrastConfig, get_preset
from .method import ReContrast, build_model
from .runs import Run, fit, load_run
from .scoring import score

__version__ = version("rclib")

__all__ = [
    "PRESETS",
    "ReContrast",
    "ReContrastConfig",
    "Run",
    "__version__",
    "build_model",
    "fit",
    "get_preset",
    "load_run",
    "score",
]
