"""The course edition: every story notebook teaches (equations beside code, exercises with checks, a summary),
every solution passes its check, and the student copies are valid notebooks whose checks fail until solved."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from rclib.cli import main
from rclib.course.student import exercises, student_copy, write_student_edition

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
    out = tmp_path / "student"
    args = ["student", "--notebooks", str(NOTEBOOKS), "--out", str(out), "--results", str(tmp_path / "none")]
    assert main([*args, "--data-dir", str(tmp_path / "none"), "--profile", "smoke"]) == 0
    copies = sorted(p.name for p in (out / "notebooks").iterdir())
    assert copies == sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    printed = capsys.readouterr().out
    assert "coding exercises (solutions removed)" in printed and "will train every run" in printed
    assert not (out / "results").exists()


def _fake_cache(root: Path) -> None:
    for name in ("A__demo__brick__1", "B__demo__brick__2"):
        run = root / "results" / "smoke" / "runs" / name
        run.mkdir(parents=True)
        (run / "metrics.json").write_text("{}")
        (run / "model.pt").write_bytes(b"x" * 1000)
    unfinished = root / "results" / "smoke" / "runs" / "C__demo__brick__3"
    unfinished.mkdir()
    (unfinished / "checkpoint.pt").write_bytes(b"x")
    for leftover in (".lock", ".lock.takeover", ".lock.123", ".metrics.json.abc.tmp"):
        (unfinished / leftover).write_text("{}")
    (root / "results" / "smoke" / "claims.csv").write_text("claim\n")
    (root / "data" / "demo" / "smoke" / "brick").mkdir(parents=True)
    (root / "data" / "demo" / "smoke" / "brick" / "x.png").write_bytes(b"png")


def test_student_edition_hands_out_the_cache_without_locks_or_checkpoints(tmp_path, capsys):
    _fake_cache(tmp_path)
    out = tmp_path / "student"
    args = ["--results", str(tmp_path / "results"), "--data-dir", str(tmp_path / "data"), "--profile", "smoke"]
    assert main(["student", "--notebooks", str(NOTEBOOKS), "--out", str(out), *args]) == 0
    assert "2 cached runs" in capsys.readouterr().out
    handed = out / "results" / "smoke"
    assert (handed / "claims.csv").exists() and (handed / "runs" / "B__demo__brick__2" / "model.pt").exists()
    assert {p.name for p in (handed / "runs" / "C__demo__brick__3").iterdir()} == set()  # nothing unfinished
    assert (out / "data" / "demo" / "smoke" / "brick" / "x.png").read_bytes() == b"png"
    answer = out / "notebooks" / "00_quickstart.ipynb"
    answer.write_text("a student's answers")
    (out / "results" / "smoke" / "stale.csv").write_text("")
    assert main(["student", "--notebooks", str(NOTEBOOKS), "--out", str(out), *args]) == 2  # answers are kept
    assert answer.read_text() == "a student's answers" and "--force" in capsys.readouterr().err
    assert main(["student", "--notebooks", str(NOTEBOOKS), "--out", str(out), *args, "--force"]) == 0
    assert not (handed / "stale.csv").exists() and answer.read_text() != "a student's answers"
    inside = ["--out", str(tmp_path / "results" / "smoke" / "edition"), *args]  # a copy inside the cache it copies
    assert main(["student", "--notebooks", str(NOTEBOOKS), *inside]) == 2
    assert "lies inside" in capsys.readouterr().err and not (tmp_path / "results" / "smoke" / "edition").exists()
    assert (tmp_path / "results" / "smoke" / "claims.csv").exists()


def test_a_student_copy_loads_the_cached_runs_instead_of_training(smoke_notebooks, tmp_path):
    """The edition a student opens runs from its own folder (the notebooks' default ../results and ../data): every
    cell runs, the only errors are the stubs of the unsolved exercises, and no run is trained or rewritten."""
    import papermill as pm

    notebook = next(p for p in _story() if p.name.startswith("02"))
    assert not smoke_notebooks.execute(notebook).error  # the instructor's run made the cache
    root = smoke_notebooks.root
    edition = write_student_edition(
        NOTEBOOKS, tmp_path / "student", profile="smoke", results_root=root / "results", data_dir=root / "data"
    )
    assert edition.runs > 0
    runs = tmp_path / "student" / "results" / "smoke" / "runs"
    before = {p: p.stat().st_mtime_ns for p in runs.rglob("*") if p.is_file()}
    copy = tmp_path / "student" / "notebooks" / notebook.name
    with pytest.raises(pm.PapermillExecutionError):  # the unsolved exercises
        pm.execute_notebook(
            str(copy),
            str(copy),
            parameters={"profile": "smoke", "progress": False, "interactive": False},
            kernel_name="python3",
            cwd=str(copy.parent),
            progress_bar=False,
            allow_errors=True,  # run every cell: the ones after an exercise load runs too
        )
    executed = nbformat.read(copy, as_version=4)
    errors = [o.ename for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and set(errors) == {"NotImplementedError"}, errors
    assert all(c.execution_count for c in executed.cells if c.cell_type == "code")  # every cell ran
    after = {p: p.stat().st_mtime_ns for p in runs.rglob("*") if p.is_file()}
    assert after == before, "the student copy trained or rewrote runs"
