"""The verdicts before and after the analysis plan, side by side: the pilot's (the demo's claims at commit 08221b2:
100 test images per category, 3 or 5 seeds, "twice the standard error"), the same pilot values read by today's
Student-t rule, and today's (the plan's seeds, 1,000 test images, the t rule with the test-sampling error).

    python benchmarks/rule_comparison.py     # benchmarks/results/verdicts_before_after.csv (the plan's columns after
                                             # `make reproduce`)
    python benchmarks/rule_comparison.py --claims CLONE/results/demo/claims.csv    # a fresh clone's rebuild
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from rclib.paper.plan import CLAIMS
from rclib.paper.results import precomputed
from rclib.paper.stats import LEVEL, Interval, verdict_of

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "verdicts_before_after.csv"


def t_interval(mean: float, std: float, n: int, level: float) -> Interval:
    """Student's interval of a mean from its summary (the pilot kept mean, std and n, not the per-seed values)."""
    se = std / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * se
    return Interval(mean, mean - half, mean + half, level, n, se, se, 0.0)


def main(claims: Path) -> None:
    parts = {p.name: p for claim in CLAIMS.values() for p in claim.parts}
    pilot = precomputed("plan_pilot")
    rows = []
    for r in pilot.itertuples():
        part = parts[r.claim]
        ci = t_interval(part.sign * r.observed_mean, r.observed_std, int(r.n_seeds), LEVEL[part.rule])
        rows.append(
            {
                "claim": r.claim,
                "pilot seeds": int(r.n_seeds),
                "pilot d": r.observed_mean,
                "pilot verdict (2 SE)": r.verdict,
                "pilot verdict (t rule)": verdict_of(ci, part.rule, part.tolerance),
            }
        )
    table = pd.DataFrame(rows)
    if claims.exists():
        table = table.merge(plan_columns(pd.read_csv(claims)), on="claim", how="outer")
    else:
        print(f"{claims} is missing (make reproduce): the plan's own verdicts are left out")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT, index=False, float_format="%.4g")
    print(table.to_string(index=False))
    print(f"written {OUT}")


def plan_columns(now: pd.DataFrame) -> pd.DataFrame:
    """Today's claims (``results/demo/claims.csv``) under the comparison's column names."""
    now = now.rename(
        columns={
            "n_seeds": "plan seeds",
            "observed_mean": "plan d",
            "ci_low": "plan ci_low",
            "ci_high": "plan ci_high",
            "se_test": "plan se_test",
            "verdict": "plan verdict (t rule)",
        }
    )
    keep = ["claim", "plan seeds", "plan d", "plan ci_low", "plan ci_high", "plan se_test", "plan verdict (t rule)"]
    return now[keep]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=Path, default=ROOT / "results" / "demo" / "claims.csv", help="today's claims")
    main(parser.parse_args().claims)
