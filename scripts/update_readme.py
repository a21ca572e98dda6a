"""Regenerate the README's measured sections from result files, so that no measured number is typed by hand:
what the demo shows (``benchmarks/results/demo_claims.csv``, ``claims_rounding.csv``), the notebooks' run times
(``benchmarks/results/notebook_times.csv``), the minutes per ``make`` target on a fresh clone
(``benchmarks/results/make_targets.csv``) and the paper grid's cost (``benchmarks/results/grid_cost.csv``).
``tests/test_readme.py`` fails when the README is out of date.

    python scripts/update_readme.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"
PRECOMPUTED = ROOT / "rclib" / "paper" / "precomputed"


def printed_by() -> dict[str, str]:
    """Claim (``C3``) -> the numbers of the notebooks whose ``observe(ctx, ...)`` prints it ("06, 08")."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
        for call in re.findall(r"observe\(ctx((?:, \"C\d\")+)\)", code):
            for claim in re.findall(r"C\d", call):
                found.setdefault(claim, []).append(path.name[:2])
    return {claim: ", ".join(dict.fromkeys(numbers)) for claim, numbers in found.items()}


def table(header: list[str], rows: list[list], note: str) -> str:
    """A markdown table with a note below it (what it measures and where the numbers come from)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join([*lines, "", note])


def interval(row) -> str:
    return f"{row.observed_mean:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}]" if pd.notna(row.ci_low) else "one seed"


def claims_section() -> str:
    claims = pd.read_csv(RESULTS / "demo_claims.csv")
    path = PRECOMPUTED / "claims_rounding.csv"
    rounding = pd.read_csv(path).set_index("claim") if path.exists() else pd.DataFrame()
    other = rounding["verdict off"] if "verdict off" in rounding else pd.Series(dtype=str)
    notebooks = printed_by()
    rows = [
        [
            row.claim,
            notebooks.get(row.claim[:2], "none"),
            row.paper,
            f"{row.n_seeds} of {row.plan_seeds}",
            interval(row),
            f"**{row.verdict}**",
            other.get(row.claim, "not measured"),
        ]
        for row in claims.itertuples()
    ]
    counts = claims.verdict.value_counts()
    tally = ", ".join(f"{counts.get(v, 0)} {v}" for v in ("reproduced", "inconclusive", "not reproduced"))
    same = claims.claim.map(other).eq(claims.verdict)
    if rounding.empty:
        check = (
            "The last column is the verdict with the demo's speed switches off (`python benchmarks/claims_rounding.py`)"
            ": not measured for this plan yet."
        )
    else:
        check = (
            f"The last column is the verdict with {rounding['switched off'].iloc[0]} "
            f"(`{rounding['command'].iloc[0]}`"
            + (
                f"; the switched-off side measured at {rounding['off measured at'].iloc[0]}"
                if "off measured at" in rounding
                else ""
            )
            + f"): {int(same.sum())} of {len(claims)} verdicts are the same."
        )
    return table(
        [
            "claim",
            "notebook",
            "what the paper predicts",
            "seeds (of the plan's)",
            "d [interval]",
            "verdict",
            "switches off",
        ],
        rows,
        f"{len(claims)} claim parts: {tally}. `d` is the mean per-seed difference and the interval the one the rule "
        "reads (95% two-sided for an effect, the one-sided 95% bounds otherwise; `rclib/paper/stats.py`), from "
        "`benchmarks/results/demo_claims.csv` (a copy of a cold `make reproduce`'s `results/demo/claims.csv`). "
        f"{check}\n\n![Forest plot of the claims](docs/claims_forest.png)",
    )


def forest_plot() -> None:
    """``docs/claims_forest.png`` from ``benchmarks/results/demo_claims.csv`` (the README shows it)."""
    from rclib.paper.figures import apply_style, savefig
    from rclib.paper.forest import plot_forest

    apply_style()
    claims = pd.read_csv(RESULTS / "demo_claims.csv")
    savefig(plot_forest(claims, title="The paper's claims on the demo profile"), "claims_forest", ROOT / "docs")


def plan_section() -> str:
    from rclib.paper.plan import DEMO_DATA, SEED_PLANS, power_table

    power = power_table()
    plans = dict(SEED_PLANS)
    rows = [
        [
            row.part,
            row.rule,
            f"{row.pilot_spread:.3g} ({row.pilot_seeds} seeds)",
            f"{row.margin:.3g}: {row.why}",
            row.seeds,
            len(plans["demo"].claim_seeds(row.claim)),
        ]
        for row in power.itertuples()
    ]
    strength = ", ".join(f"{c} {s:g}" for c, s in DEMO_DATA.strength) or "1 everywhere"
    return table(
        ["part", "rule", "pilot spread of d", "margin that matters", "seeds for power 0.8", "demo seeds"],
        rows,
        f"From `rclib/paper/plan/seeds.py` (`power_table()`). Seed order: {', '.join(map(str, plans['demo'].order))} "
        f"(a claim with n seeds takes the first n); figures and tables of the story: {plans['demo'].story} seeds; "
        f"smoke: {plans['smoke'].story} (no verdict); paper: {', '.join(map(str, plans['paper'].order))}. Demo test "
        f"set per category: {DEMO_DATA.n_test_good} normal images and {DEMO_DATA.n_per_defect} of each of the five "
        f"defect kinds; defect strength per category (chosen on Config B alone): {strength}.",
    )


def advice_section() -> str:
    from rclib.paper.budget import advice, cools, overtakes

    study = pd.read_csv(PRECOMPUTED / "budget_study.csv")
    return (
        f"From the budget study (`make study`, `rclib/paper/precomputed/budget_study.csv`, commit "
        f"{study.commit.iloc[0]}): {advice(study)} At the demo's encoder learning rate {overtakes(study, 'profile')}; "
        f"at the paper's, {overtakes(study, 'paper')}. And {cools(study, 'profile')}."
    )


def times_section() -> str:
    times = pd.read_csv(PRECOMPUTED / "notebook_times.csv")
    rows = [
        [row.notebook.removesuffix(".ipynb"), f"{row.smoke_s:.0f} s", f"{row.demo_s / 60:.1f} min"]
        for row in times.itertuples()
    ]
    return table(
        ["notebook", "smoke", "demo"],
        rows,
        f"Measured cold, in order, on a {times.machine.iloc[0]} (`rclib/paper/precomputed/notebook_times.csv`). "
        "A run is trained by the first notebook that needs it and cached for the others (03 trains D and E for its "
        f"claims, so 04 is quick); a notebook run alone on a cold cache takes longer.{_stale(times)}",
    )


def _stale(times: pd.DataFrame) -> str:
    """A warning when the timed rebuild ran under another analysis plan than today's (other seeds, test sets)."""
    from rclib.paper.plan import plan_signature

    if "plan" in times and (times.plan == plan_signature()).all():
        return ""
    return (
        " **Stale:** these times were recorded under an earlier analysis plan (other seeds and test sets); what "
        "today's plan's runs cost is measured below."
    )


def cost_section() -> str:
    from rclib.paper.plan import DEMO_DATA

    cost = pd.read_csv(RESULTS / "reproduce_cost.csv")
    test_images = DEMO_DATA.n_test_good + 5 * DEMO_DATA.n_per_defect  # five defect kinds per category
    runs = cost[cost.preset != "all"]
    total = cost[cost.preset == "all"].iloc[0]
    rows = [
        [row.preset, row.runs, f"{row.seconds_per_run:.0f} s", f"{row.minutes:.1f} min"] for row in runs.itertuples()
    ]
    rows.append(["all", total.runs, "", f"**{total.minutes:.0f} min**"])
    return table(
        ["preset", "runs the plan needs", "one cold run", "training"],
        rows,
        f"One cold demo run of each preset timed (training and its evaluations on the {test_images:,}-image test set; "
        f"{total.threads} threads, load average {total.load_average}, commit {total.commit}), times the runs of that "
        "preset that the plan's claims need over their seeds (the tables' and figures' runs are among them): "
        "`python benchmarks/reproduce_cost.py`, `benchmarks/results/reproduce_cost.csv`. The notebooks' own analyses "
        "(landscapes, galleries, maps) come on top.",
    )


def targets_section() -> str:
    targets = pd.read_csv(RESULTS / "make_targets.csv")
    rows = [
        [
            f"`{row.target}`" + (" (includes creating `.venv`)" if row.includes_setup else ""),
            f"{row.minutes:.1f}",
            row.exit_code,
            row.commit,
        ]
        for row in targets.itertuples()
    ]
    return table(
        ["on a fresh clone", "minutes", "exit code", "commit"],
        rows,
        "Measured in a fresh clone of the commit on each row (one commit's targets one after another) on a "
        f"{targets.machine.iloc[0]} "
        "(`python benchmarks/bench_make.py`, `benchmarks/results/make_targets.csv`).",
    )


def grid_cost_section() -> str:
    cost = pd.read_csv(RESULTS / "grid_cost.csv")
    rows = [
        [
            "all of them (shared runs once)" if " " in row.tables else row.tables,
            row.jobs,
            f"{row.PFLOP:,.0f}",
            f"{row.gpu_hours:.1f}",
        ]
        for row in cost.itertuples()
    ]
    return table(
        ["tables", "jobs", "training PFLOP", "GPU hours"],
        rows,
        f"GPU hours at an assumed {cost.assumed_tflops.iloc[0]:g} sustained TFLOP/s per GPU (an assumption, not a "
        "measurement: no GPU has timed rclib yet), training steps only (evaluation and data loading come on top); "
        "`python benchmarks/grid_cost.py --tflops T` recomputes it for your GPUs.",
    )


SECTIONS = {
    "plan": plan_section,
    "claims": claims_section,
    "advice": advice_section,
    "times": times_section,
    "cost": cost_section,
    "targets": targets_section,
    "grid_cost": grid_cost_section,
}
MAKERS = {  # what writes each section's result files
    "plan": "the pilot's rclib/paper/precomputed/plan_pilot.csv",
    "claims": "make reproduce; python benchmarks/bench_reproduce.py --record; python benchmarks/claims_rounding.py",
    "advice": "make study",
    "times": "make reproduce smoke; python benchmarks/bench_reproduce.py --record",
    "cost": "python benchmarks/reproduce_cost.py",
    "targets": "python benchmarks/bench_make.py",
    "grid_cost": "python benchmarks/grid_cost.py",
}


def section(name: str) -> str:
    try:
        return SECTIONS[name]()
    except FileNotFoundError as missing:
        return f"Not measured yet: `{Path(missing.filename).name}` is missing (`{MAKERS[name]}`)."


def render(text: str) -> str:
    for name in SECTIONS:
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        text = pattern.sub(lambda m, name=name: m.group(1) + section(name) + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    if (RESULTS / "demo_claims.csv").exists():
        forest_plot()
    README.write_text(render(README.read_text()))
    print(f"updated {README}")
