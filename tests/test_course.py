"""The course edition: every story notebook teaches (equations beside code, exercises with checks, a summary),
every solution passes its check, and the student copies are valid notebooks whose checks fail until solved."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from rclib.cli import main
from rclib.course.student import exercises, student_copy

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
STORY = ("00", "01", "02", "03", "04", "05", "06", "07", "11", "12")


def _story():
    return [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if p.name[:2] in STORY]


@pytest.mark.parametrize("path", _story(), ids=lambda p: p.stem)
def test_story_notebook_teaches(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "**You will learn:**" in text and "**Prerequisites:**" in text and "**Run time:**" in text
    assert "## Exercises" in text and "## Summary" in text
    swallowed = re.findall(r"^# #+ .*$", code, flags=re.M)
    assert not swallowed, f"{path.name}: markdown headings commented out inside code cells: {swallowed}"
    items = re.findall(r"^\d\. \*\*", text.split("## Exercises", 1)[1], flags=re.M)
    assert 3 <= len(items) <= 5, f"{path.name}: {len(items)} exercises"
    assert exercises(nb), f"{path.name} has no coding exercise with a check"
    if path.name[:2] not in ("07",):
        assert "$$" in text and "show_source(" in code, f"{path.name}: no display equation beside its code"
    if path.name[:2] not in ("00", "01"):
        assert "observe(ctx" in code or "judge(" in code, f"{path.name}: no check of its result on its own runs"


def _run(solution: str, check: str) -> None:
    namespace: dict = {}
    exec(compile(solution, "solution", "exec"), namespace)
    exec(compile(check, "check", "exec"), namespace)


@pytest.mark.parametrize("path", _story(), ids=lambda p: p.stem)
def test_solutions_pass_and_student_copies_fail_their_checks(path):
    nb = nbformat.read(path, as_version=4)
    for solution, check in exercises(nb):
        _run(solution, check)
    student = student_copy(nb)
    nbformat.validate(student)
    assert not any(c.get("outputs") for c in student.cells if c.cell_type == "code")
    student_exercises = exercises(student)
    assert len(student_exercises) == len(exercises(nb))
    for solution, check in student_exercises:
        assert "BEGIN SOLUTION" not in solution and "raise NotImplementedError()" in solution
        with pytest.raises(NotImplementedError):
            _run(solution, check)


def test_make_student_writes_every_notebook(tmp_path, capsys):
    assert main(["student", "--notebooks", str(NOTEBOOKS), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert "coding exercises (solutions removed)" in capsys.readouterr().out
