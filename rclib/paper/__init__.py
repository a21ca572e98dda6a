"""The paper's artefacts: the reference values it reports, the three profiles, tables, figures, the S^map
landscape, the notebooks' context and the batch runner that rebuilds everything."""

from .notebook import Context, setup
from .profiles import PROFILES, get_profile

__all__ = ["PROFILES", "Context", "get_profile", "setup"]
