"""The course edition: student copies of the notebooks (solutions removed with nbgrader, checks kept), and the
exercise cells a test runs to prove that every solution passes its check and every student copy fails it.

A coding exercise is two cells: one tagged ``solution`` whose answer sits between nbgrader's ``### BEGIN
SOLUTION`` and ``### END SOLUTION`` markers, and the next one tagged ``check`` that compares the answer with
rclib's implementation.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearOutput, ClearSolutions


def exercises(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The (solution, check) source pairs of a notebook, in order."""
    cells = nb.cells
    pairs = []
    for i, cell in enumerate(cells[:-1]):
        if "solution" in cell.metadata.get("tags", []) and "check" in cells[i + 1].metadata.get("tags", []):
            pairs.append((cell.source, cells[i + 1].source))
    return pairs


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with every solution replaced by nbgrader's stub (``raise NotImplementedError()``) and no
    outputs; the checks stay, so they fail until the student writes an answer."""
    student = copy.deepcopy(nb)
    resources = {"language": "python"}
    student, _ = ClearSolutions(enforce_metadata=False).preprocess(student, resources)
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
