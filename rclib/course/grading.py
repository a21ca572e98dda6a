"""The course as an nbgrader course directory, generated from the notebooks so that it cannot drift from them.

``write_course(notebooks, course)`` writes ``course/nbgrader_config.py`` and one assignment per notebook with
coding exercises, ``course/source/<notebook>/<notebook>.ipynb``: the notebook itself with nbgrader's metadata
added from the tags. A cell tagged ``solution`` becomes a solution cell (what lies between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` is replaced by a stub in the student version); the cell tagged ``check`` after it becomes
a locked, autograded test cell worth :data:`POINTS` (the tests the student sees), and its ``### BEGIN HIDDEN
TESTS`` region a second locked test cell after it, worth as much, which the student version leaves empty and
``nbgrader autograde`` puts back: an answer that passes what the student sees but not the hidden hand-computed
cases earns half the exercise's points. nbgrader's own commands take it from there (``generate_assignment``,
``collect`` or ``zip_collect``, ``autograde``, ``export``).

The metadata is added here rather than stored in the notebooks: the tags say everything it holds, the grade ids
follow from the exercises' order, and the notebooks stay plain notebooks that JupyterLab edits without nbgrader.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import nbformat
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import ClearOutput

from .student import exercise_cells

POINTS = 1  # per graded cell: an exercise's visible check and its hidden tests each earn it
HIDDEN = re.compile(r"^ *### BEGIN HIDDEN TESTS\n.*?^ *### END HIDDEN TESTS\n?", re.S | re.M)
NBGRADER_SCHEMA = 3

CONFIG = '''"""nbgrader's configuration of the rclib course: written by `rclib course` (rclib/course/grading.py), which
rewrites it; change it there."""

c = get_config()  # noqa: F821 - nbgrader's config loader defines it

c.CourseDirectory.course_id = "rclib"
# autograde executes every submitted notebook at the smoke profile, offline: the checks do not depend on the runs,
# and smoke trains each run in seconds. RCLIB_PROFILE in nbgrader's environment overrides it (setdefault).
c.Execute.extra_arguments = [
    "--IPKernelApp.exec_lines=import os; os.environ.setdefault('RCLIB_PROFILE', 'smoke'); "
    "os.environ.setdefault('RCLIB_OFFLINE', '1')"
]
c.Execute.timeout = 600  # seconds per cell: a smoke run trains in seconds, a loaded machine may take minutes
# nbgrader zip_collect ASSIGNMENT: the files (or zip archives of them) downloaded from a learning-management system
# into downloaded/ASSIGNMENT/archive/, each named STUDENT_NOTEBOOK.ipynb (a student id without "_"); the expression
# is matched against the whole path, hence the leading ".*/"
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[^/_]+)_(?P<file_id>[^/]+\\.ipynb)$"
'''


def _nbgrader(grade_id: str, *, test: bool) -> dict:
    """nbgrader's cell metadata (schema 3): a solution cell, or (``test``) a locked test cell worth :data:`POINTS`."""
    meta = {"schema_version": NBGRADER_SCHEMA, "grade_id": grade_id, "solution": not test, "grade": test}
    return {**meta, "locked": True, "points": POINTS} if test else {**meta, "locked": False}


HIDDEN_NOTE = "# hidden tests: nbgrader puts them back and runs them when the notebook is graded"
VISIBLE_PASSED = 'print("the tests you can see pass; the hidden ones run when the notebook is graded")'


def split_hidden(check: str) -> tuple[str, str]:
    """A check's source as two graded cells: the tests the student sees, ending with :data:`VISIBLE_PASSED`; and
    :data:`HIDDEN_NOTE` over a ``### BEGIN HIDDEN TESTS`` region that holds the hidden tests and what followed them
    in the check (where it prints that it passed, so that a wrong answer's feedback never says "correct"). The
    second is "" for a check without hidden tests."""
    found = HIDDEN.search(check)
    if not found:
        return check, ""
    if not found.group(0).startswith("### BEGIN HIDDEN TESTS"):
        raise ValueError("a check's hidden tests must start at the beginning of a line, outside any block")
    inner = found.group(0).split("\n", 1)[1].rsplit("### END HIDDEN TESTS", 1)[0].rstrip("\n")
    tail = check[found.end() :].strip("\n")
    hidden = "\n".join(
        [HIDDEN_NOTE, "### BEGIN HIDDEN TESTS", inner, *([tail] if tail else []), "### END HIDDEN TESTS"]
    )
    return f"{check[: found.start()].rstrip()}\n{VISIBLE_PASSED}", hidden


def graded(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without outputs whose exercises carry nbgrader's metadata: the k-th ``solution`` cell is the
    solution cell ``answer_k``, the ``check`` cell after it the test cell ``check_k`` with the tests the student
    sees, and its hidden tests a test cell ``hidden_k`` after that (each worth :data:`POINTS`)."""
    out, _ = ClearOutput().preprocess(copy.deepcopy(nb), {})
    after: dict[int, nbformat.NotebookNode] = {}  # id of a check cell -> the hidden-tests cell that follows it
    for k, (solution, check) in enumerate(exercise_cells(out), start=1):
        solution.metadata["nbgrader"] = _nbgrader(f"answer_{k}", test=False)
        check.metadata["nbgrader"] = _nbgrader(f"check_{k}", test=True)
        check.source, hidden = split_hidden(check.source)
        if hidden:
            after[id(check)] = nbformat.v4.new_code_cell(
                hidden,
                id=f"{check.get('id', f'check-{k}')}-hidden",  # a stable id: make release leaves it alone
                metadata={"tags": ["hidden"], "nbgrader": _nbgrader(f"hidden_{k}", test=True)},
            )
    out.cells = [c for cell in out.cells for c in (cell, after.get(id(cell))) if c is not None]
    MetadataValidator().validate_nb(out)
    nbformat.validate(out)
    return out


def assignments(notebooks: Path) -> dict[str, Path]:
    """The assignments of the course, by name: every numbered notebook with at least one coding exercise, named
    after it (``00_quickstart``)."""
    found = {}
    for path in sorted(Path(notebooks).glob("[0-9][0-9]_*.ipynb")):
        if exercise_cells(nbformat.read(path, as_version=4)):
            found[path.stem] = path
    return found


def write_course(notebooks: Path, course: Path) -> list[Path]:
    """Write the course directory ``course``: its ``nbgrader_config.py`` and, replacing what was there, the source
    of every assignment (``source/<name>/<name>.ipynb``). Submissions, the gradebook and released, autograded or
    feedback copies are left alone. Returns the source notebooks written."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG)
    written = []
    for name, path in assignments(notebooks).items():
        folder = course / "source" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        nbformat.write(graded(nbformat.read(path, as_version=4)), folder / path.name)
        written.append(folder / path.name)
    return written
