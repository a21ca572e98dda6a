"""The executed notebooks as a static website (Sphinx with MyST-NB, the ``book`` extra).

``build_book`` copies the book's sources (``docs/book/``) and the executed copies that ``rclib reproduce`` left in
``build/notebooks/<profile>/`` into a staging folder, renders ``results/<profile>/claims.csv`` as a markdown table
there, and runs Sphinx on it into ``build/book/<profile>/``. No notebook is executed: the book shows what
reproduce ran. Sphinx runs with warnings as errors, so a notebook left out of the navigation fails the build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from .reproduce import notebook_paths


def missing_notebooks(notebooks_dir: Path, executed: Path) -> list[str]:
    """The notebooks of ``notebooks_dir`` that have no executed copy in ``executed``."""
    return [p.name for p in notebook_paths(notebooks_dir) if not (executed / p.name).is_file()]


def _interval(mean: float, low: float, high: float) -> str:
    return f"{mean:.3g} [{low:.3g}, {high:.3g}]" if pd.notna(low) else "one seed"


def _cell(text: object) -> str:
    """A markdown table cell: a ``|`` of the text (``|d| < 1``) escaped."""
    return str(text).replace("|", "\\|")


def claims_table(claims_csv: Path, profile: str) -> str:
    """The claims of ``claims_csv`` as a markdown table, or one line that says which command writes the file."""
    if not claims_csv.is_file():
        return f"No claim measured: `{claims_csv}` is missing (`rclib reproduce --profile {profile}` writes it)."
    claims = pd.read_csv(claims_csv)
    lines = [
        "| claim | what the paper predicts | seeds (of the plan's) | d [interval] | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.claim} | {_cell(r.paper)} | {r.n_seeds} of {r.plan_seeds} | "
        f"{_interval(r.observed_mean, r.ci_low, r.ci_high)} | **{r.verdict}** |"
        for r in claims.itertuples()
    ]
    counts = claims.verdict.value_counts()
    tally = ", ".join(f"{counts.get(v, 0)} {v}" for v in ("reproduced", "inconclusive", "not reproduced"))
    return "\n".join([*lines, "", f"{len(claims)} claim parts of the `{profile}` profile: {tally}."])


def stage(profile: str, *, sources: Path, notebooks_dir: Path, executed: Path, claims_csv: Path, src: Path) -> None:
    """Sphinx's source folder at ``src``: the book's sources, the executed notebooks and the claims table."""
    shutil.copytree(sources, src, ignore=shutil.ignore_patterns("__pycache__"))
    (src / "notebooks").mkdir()
    for path in notebook_paths(notebooks_dir):
        shutil.copy2(executed / path.name, src / "notebooks" / path.name)
    (src / "_generated").mkdir()
    (src / "_generated" / "claims_table.md").write_text(claims_table(claims_csv, profile) + "\n")


def _lacking(executed: Path, missing: list[str]) -> str:
    """What ``executed`` lacks, in a few words."""
    if not any(executed.glob("[0-9][0-9]_*.ipynb")):
        return f"no executed notebooks in '{executed}'"
    return (
        f"'{executed}' lacks {len(missing)} executed notebooks ({', '.join(missing[:3])}{', ...' * (len(missing) > 3)})"
    )


def _clear(out: Path) -> None:
    """Remove an earlier build at ``out`` (one Sphinx wrote: it has ``.buildinfo``); refuse anything else."""
    if not out.exists():
        return
    if not (out / ".buildinfo").is_file() and any(out.iterdir()):
        raise ValueError(f"'{out}' is not empty and not a Sphinx build: choose another --out")
    shutil.rmtree(out)


def build_book(
    profile: str,
    *,
    sources: Path = Path("docs/book"),
    notebooks_dir: Path = Path("notebooks"),
    executed: Path | None = None,
    results_root: Path = Path("results"),
    out: Path | None = None,
) -> int:
    """Build the book of ``profile`` (executed copies from ``executed``, default ``build/notebooks/<profile>``) into
    ``out`` (default ``build/book/<profile>``); returns Sphinx's exit status. Raises FileNotFoundError, in one line
    that names the command writing them, when executed copies are missing."""
    executed = Path(executed or Path("build/notebooks") / profile)
    out = Path(out or Path("build/book") / profile)
    missing = missing_notebooks(Path(notebooks_dir), executed)
    if missing:
        raise FileNotFoundError(
            f"{_lacking(executed, missing)}: run `rclib reproduce --profile {profile}` "
            f"(make reproduce PROFILE={profile}) first"
        )
    _clear(out)
    with tempfile.TemporaryDirectory(prefix="rclib-book-") as tmp:
        src = Path(tmp) / "src"
        claims_csv = Path(results_root) / profile / "claims.csv"
        stage(
            profile,
            sources=Path(sources),
            notebooks_dir=Path(notebooks_dir),
            executed=executed,
            claims_csv=claims_csv,
            src=src,
        )
        title = f"rclib: ReContrast, reproduced ({profile} profile)"
        cmd = [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-q",
            "-W",
            "--keep-going",
            "-d",
            str(Path(tmp) / "doctrees"),
        ]
        cmd += ["-D", f"html_title={title}", str(src), str(out)]
        return subprocess.run(cmd, check=False).returncode
