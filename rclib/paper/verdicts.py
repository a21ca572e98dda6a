"""Prose chosen by the computed verdict: a sentence that states a result is picked from the claims table, never
typed beside it, so that where a run disagrees with the paper the text says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .claims import measure, record
from .plan import CLAIMS

VERDICTS = ("reproduced", "not reproduced", "inconclusive")


def choose(verdict: str, **texts: str) -> str:
    """The text for ``verdict`` out of ``reproduced=``, ``not_reproduced=`` and ``inconclusive=``."""
    key = verdict.replace(" ", "_")
    if key not in texts:
        raise ValueError(f"no text for verdict {verdict!r}: give {', '.join(v.replace(' ', '_') for v in VERDICTS)}")
    return texts[key]


def verdict_of(claims: pd.DataFrame, part: str) -> str:
    """The verdict of claim part ``part`` ("C4") in a claims table."""
    hit = claims[claims.claim == part]
    if hit.empty:
        raise ValueError(f"claim part {part!r} is not in the claims table (parts: {', '.join(claims.claim)})")
    return str(hit.verdict.iloc[0])


def claims_table(study, path: Path | None = None) -> pd.DataFrame:
    """The claims table of a study: ``<results>/claims.csv`` as the notebooks wrote it, with every claim of the
    plan that is missing there measured now (and recorded)."""
    path = path or study.results / "claims.csv"
    table = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["claim"])
    missing = [c for c, claim in CLAIMS.items() if not {p.name for p in claim.parts} <= set(table.claim)]
    if missing:
        table = record(measure(study, *missing), path)
    return table


def summary_markdown(claims: pd.DataFrame) -> str:
    """What reproduced, what did not, and what the seeds do not settle (with the seeds they would need)."""
    lines = []
    for verdict in VERDICTS:
        rows = claims[claims.verdict == verdict]
        if rows.empty:
            continue
        lines.append(f"**{verdict.capitalize()}** ({len(rows)} of {len(claims)}):")
        for r in rows.itertuples():
            extra = ""
            if verdict == "inconclusive" and pd.notna(r.seeds_to_settle):
                extra = f" The measured spread would need about {int(r.seeds_to_settle)} seeds to settle it."
            interval = f"[{r.ci_low:.3g}, {r.ci_high:.3g}]" if pd.notna(r.ci_low) else "no interval (one seed)"
            lines.append(f"- {r.claim}: {r.paper}. Measured d = {r.observed_mean:.3g}, interval {interval}.{extra}")
        lines.append("")
    return "\n".join(lines).strip()
