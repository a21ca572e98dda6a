"""The analysis plan: every claim this reproduction checks, declared once, before its runs are looked at.

A claim compares configurations trained with the same seeds (:mod:`.claims`); the seeds of a claim are the first
``n`` of its profile's fixed seed order, ``n`` fixed per claim with its reasoning (:mod:`.seeds`); the demo's test
set and the runs every table needs are declared beside them (:mod:`.runs`), so that the grid, the table builders,
the claims and the notebooks read one declaration, and nothing is keyed by a notebook's number.
"""

from .claims import (
    ALPHA_TOLERANCE,
    ALPHAS,
    CLAIMS,
    METRIC_TOLERANCE,
    STD_TOLERANCE,
    Claim,
    Measure,
    Part,
    Rule,
    claim_of,
)
from .runs import DEMO_DATA, DEMO_STRENGTH, DEMO_TEST, PAPER_SEEDS, TABLES, TableRuns, alpha_values
from .seeds import MARGINS, SEED_PLANS, SeedPlan, plan_signature, power_table, seed_plan

__all__ = [
    "ALPHAS",
    "ALPHA_TOLERANCE",
    "CLAIMS",
    "DEMO_DATA",
    "DEMO_STRENGTH",
    "DEMO_TEST",
    "MARGINS",
    "METRIC_TOLERANCE",
    "PAPER_SEEDS",
    "SEED_PLANS",
    "STD_TOLERANCE",
    "TABLES",
    "Claim",
    "Measure",
    "Part",
    "Rule",
    "SeedPlan",
    "TableRuns",
    "alpha_values",
    "claim_of",
    "plan_signature",
    "power_table",
    "seed_plan",
]
