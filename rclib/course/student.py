"""The course edition: student copies of the notebooks (solutions and hidden tests removed with nbgrader, checks
kept), and the exercise cells a test runs to prove that every solution passes its check and every student copy
fails it.

A coding exercise is two cells: one tagged ``solution`` whose answer sits between nbgrader's ``### BEGIN
SOLUTION`` and ``### END SOLUTION`` markers, and the next one tagged ``check`` that compares the answer with
rclib's implementation (called through :func:`rclib.course.checks.without_rclib`, so that an answer calling rclib
fails) and, between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``, with hand-computed values that the
student copy leaves out and grading puts back (:mod:`rclib.course.grading`).
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

from ..runs.checkpoint import CHECKPOINT
from ..runs.lock import LOCK


def exercise_cells(nb: nbformat.NotebookNode) -> list[tuple[nbformat.NotebookNode, nbformat.NotebookNode]]:
    """The (solution, check) cell pairs of a notebook, in order: a cell tagged ``solution`` and the ``check`` after
    it."""
    cells = nb.cells
    return [
        (cell, after)
        for cell, after in zip(cells[:-1], cells[1:], strict=True)
        if "solution" in cell.metadata.get("tags", []) and "check" in after.metadata.get("tags", [])
    ]


def exercises(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The (solution, check) source pairs of a notebook, in order."""
    return [(solution.source, check.source) for solution, check in exercise_cells(nb)]


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with every solution replaced by nbgrader's stub (``raise NotImplementedError()``), without the
    checks' hidden tests and without outputs; the checks stay, so they fail until the student writes an answer."""
    student = copy.deepcopy(nb)
    resources = {"language": "python"}
    student, _ = ClearSolutions(enforce_metadata=False).preprocess(student, resources)
    student, _ = ClearHiddenTests(enforce_metadata=False).preprocess(student, resources)
    student, _ = ClearOutput().preprocess(student, resources)
    return student


def write_student_copies(notebooks: Path, out: Path) -> list[Path]:
    """Write a student copy of every numbered notebook of ``notebooks`` into ``out``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(notebooks).glob("[0-9][0-9]_*.ipynb")):
        student = student_copy(nbformat.read(path, as_version=4))
        nbformat.validate(student)
        nbformat.write(student, out / path.name)
        written.append(out / path.name)
    return written


# what a cache folder holds that a student must not get: locks (and their takeover and owner files), a half-finished
# run's checkpoint, the temporary files of an atomic write that was cut short
NOT_HANDED_OUT = (f"{LOCK}*", CHECKPOINT, "*.tmp")


class EditionExists(ValueError):
    """The student edition is already there: writing it again would overwrite a student's answers."""


@dataclass(frozen=True)
class StudentEdition:
    """What ``rclib student`` wrote: the copies, and the cached runs and demo data handed out beside them."""

    notebooks: list[Path]
    runs: int
    results_bytes: int
    data_bytes: int


def _inside(target: Path, source: Path) -> bool:
    target, source = target.resolve(), source.resolve()
    return target == source or target.is_relative_to(source)


def _hand_out(source: Path, target: Path) -> int:
    """Copy ``source`` to ``target`` (replacing an earlier copy) without locks, checkpoints and temporary files;
    bytes copied."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*NOT_HANDED_OUT))
    return sum(p.stat().st_size for p in target.rglob("*") if p.is_file())


def write_student_edition(
    notebooks: Path,
    out: Path,
    *,
    profile: str,
    results_root: Path | None = None,
    data_dir: Path | None = None,
    force: bool = False,
) -> StudentEdition:
    """The course edition a student opens: the student copies in ``out/notebooks/``, and beside them what the
    notebooks find through ``../results`` and ``../data``: the cached runs, tables and claims of ``profile``
    (``results_root/<profile>``) and its demo data (``data_dir/demo/<profile>``), copied when they exist, so that
    a student notebook loads every run instead of training it (the data's fingerprint is in each run's key). An
    edition already in ``out`` is refused unless ``force`` (its notebooks may hold a student's answers)."""
    out = Path(out)
    for source in (Path(results_root) if results_root else None, Path(data_dir) if data_dir else None):
        if source and source.is_dir() and _inside(out, source):
            raise ValueError(
                f"the student edition '{out}' lies inside '{source}', which it copies: choose another --out"
            )
    if not force and any((out / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        raise EditionExists(
            f"'{out / 'notebooks'}' already holds a student edition (answers may be in it); pass --force to write "
            "it again, which overwrites those notebooks and the cache beside them"
        )
    written = write_student_copies(notebooks, out / "notebooks")
    results_bytes = data_bytes = runs = 0
    cache = Path(results_root) / profile if results_root else None
    if cache and cache.is_dir():
        results_bytes = _hand_out(cache, out / "results" / profile)
        runs = sum(1 for _ in (out / "results" / profile / "runs").glob("*/metrics.json"))
    demo = Path(data_dir) / "demo" / profile if data_dir else None
    if demo and demo.is_dir():
        data_bytes = _hand_out(demo, out / "data" / "demo" / profile)
    return StudentEdition(written, runs, results_bytes, data_bytes)
