"""What the paper reports and how this reproduction compares: the analysis plan (claims, seeds, the runs each
table needs), the statistics of a verdict, the three profiles, studies of cached runs, the claims, the tables,
the figures, the S^map landscape, model complexity, and the paper's reference values."""

from .plan import CLAIMS, TABLES, seed_plan
from .profiles import PROFILES, get_profile
from .study import Study

__all__ = ["CLAIMS", "PROFILES", "TABLES", "Study", "get_profile", "seed_plan"]
