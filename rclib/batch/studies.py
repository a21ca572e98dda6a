"""``rclib study``: the studies too long for ``make reproduce``, run (or resumed from the run cache) and written
with the command and the commit that produced them. Today one: the paper's payoff along the training budget
(:mod:`rclib.paper.budget`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from ..paper.budget import write_study
from ..paper.profiles import get_profile
from ..paper.study import Study


def source_commit(where: Path) -> str:
    """The git commit of the checkout at ``where`` (``-dirty`` when it has uncommitted changes), or ``unknown``."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=where)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, cwd=where
        )
    except OSError:
        return "unknown"
    if commit.returncode != 0:
        return "unknown"
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def budget_study(profile: str, *, data_dir: Path, results_root: Path, progress: bool = False) -> pd.DataFrame:
    """The budget study of ``profile``, written to ``<results_root>/<profile>/budget_study.csv``."""
    chosen = get_profile(profile)
    study = Study.of(chosen, data_dir=data_dir, results=results_root / chosen.name, progress=progress)
    out = results_root / chosen.name / "budget_study.csv"
    command = f"rclib study --profile {profile}"
    return write_study(study, out, command=command, commit=source_commit(Path.cwd()))
