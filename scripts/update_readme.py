"""Regenerate the README's measured sections from result files, so that no measured number is typed by hand:
what the demo shows (``benchmarks/results/demo_claims.csv``) and the notebooks' run times
(``benchmarks/results/notebook_times.csv``). ``tests/test_readme.py`` fails when the README is out of date.

    python scripts/update_readme.py
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"


def claims_section() -> str:
    claims = pd.read_csv(RESULTS / "demo_claims.csv")
    lines = ["| claim | notebook | what the paper predicts | verdict on the demo |", "|---|---|---|---|"]
    for row in claims.itertuples():
        lines.append(
            f"| {row.claim} | {int(row.notebook):02d} | {row.paper} | **{row.verdict}** ({row.n_seeds} seeds) |"
        )
    counts = claims.verdict.value_counts()
    tally = ", ".join(f"{counts.get(v, 0)} {v}" for v in ("reproduced", "inconclusive", "not reproduced"))
    lines += [
        "",
        f"{len(claims)} claim parts: {tally}. The measured values behind each verdict are in "
        "`benchmarks/results/demo_claims.csv` (columns `observed_mean`, `observed_std`, `n_seeds`).",
    ]
    return "\n".join(lines)


def times_section() -> str:
    times = pd.read_csv(RESULTS / "notebook_times.csv")
    lines = ["| notebook | smoke | demo |", "|---|---|---|"]
    for row in times.itertuples():
        lines.append(
            f"| {row.notebook.removesuffix('.ipynb')} | {round(row.smoke_s)} s | {round(row.demo_s / 60)} min |"
        )
    lines += ["", f"Measured cold on a {times.machine.iloc[0]} (`benchmarks/results/notebook_times.csv`)."]
    return "\n".join(lines)


SECTIONS = {"claims": claims_section, "times": times_section}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + m.group(2), text)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text()))
    print(f"updated {README}")
