"""rclib: a reproducible, teachable implementation of ReContrast (Guo et al., NeurIPS 2023).

Public API: :data:`PRESETS`, :func:`get_preset`, :class:`ReContrastConfig`, :func:`build_model`,
:func:`fit` (train on a data folder), :func:`score` (anomaly maps and image scores of a batch).
"""

__version__ = "0.1.0"

from pathlib import Path

from .anomaly_map import score
from .config import PRESETS, ReContrastConfig, get_preset
from .model import ReContrast, build_model
from .train import Run


def fit(config: ReContrastConfig, data_root: str | Path, category: str, out: str | Path | None = None, progress: bool = True, dataset: str = "mvtec_ad", pretrained: bool = True, resume: bool = False, stop_after: int | None = None) -> Run:
    """Train ``config`` on ``category`` of the MVTec-layout folder ``data_root`` (or a medical ``dataset``),
    evaluating every ``config.eval_every`` iterations; returns a :class:`~rclib.train.Run` with ``.model``,
    ``.metrics`` (``{"last": ..., "best": ...}``) and ``.history`` (a DataFrame). ``stop_after`` ends training
    early (checkpointed) after that many iterations."""
    from .cache import fit_on_disk

    return fit_on_disk(config, dataset, data_root, category, out=out, progress=progress, pretrained=pretrained, resume=resume, stop_after=stop_after)


__all__ = ["PRESETS", "ReContrast", "ReContrastConfig", "Run", "__version__", "build_model", "fit", "get_preset", "score"]
