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
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions


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
