"""rclib: a reproducible, teachable implementation of ReContrast (Guo et al., NeurIPS 2023)."""

from .config import PRESETS, ReContrastConfig, get_preset
from .model import ReContrast, build_model

__version__ = "0.1.0"
__all__ = ["PRESETS", "ReContrastConfig", "ReContrast", "build_model", "get_preset", "__version__"]
