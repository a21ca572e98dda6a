"""The instructor's guide cannot drift from the notebooks: ``scripts/instructor_guide.py`` finds every disagreement,
and each kind of drift is shown caught on a mutated copy of the notebooks (in ``tmp_path``) or of the guide's text."""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def _guide_module():
    spec = importlib.util.spec_from_file_location("instructor_guide", ROOT / "scripts" / "instructor_guide.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


guide = _guide_module()
TEXT = guide.GUIDE.read_text(encoding="utf-8")


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    """A copy of the notebooks that a test may mutate."""
    return Path(shutil.copytree(NOTEBOOKS, tmp_path / "notebooks"))


def edit_exercises(folder: Path, number: str, edit: Callable[[str], str]) -> None:
    """Replace the source of notebook ``number``'s Markdown cell holding its Exercises by ``edit(source)``."""
    path = next(folder.glob(f"{number}_*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and "## Exercises" in c.source)
    cell.source = edit(cell.source)
    nbformat.write(nb, path)


def swap_lines(source: str, first: str, second: str) -> str:
    """``source`` with the lines starting with ``first`` and ``second`` (and their continuations) swapped."""
    items = re.split(r"(?m)^(?=\d+\. )", source)
    a = next(i for i, part in enumerate(items) if part.startswith(first))
    b = next(i for i, part in enumerate(items) if part.startswith(second))
    items[a], items[b] = items[b], items[a]
    return "".join(items)


def test_the_guide_answers_every_item_of_the_notebooks():
    assert guide.problems(NOTEBOOKS, TEXT) == []
    books = guide.read_notebooks(NOTEBOOKS)
    assert sum(len(b.items) for b in books) == len(guide.answers(TEXT)) > 0


def test_items_are_found_with_their_kind_id_and_solution():
    items = {i.id: i for b in guide.read_notebooks(NOTEBOOKS) for i in b.items}
    assert items["06·3"].kind == "Try this" and items["06·3"].text.startswith("Move the slider")
    assert items["14·3"].kind == "Try this" and items["13·1"].kind == "Exercise"
    assert "return maps.flatten(1).max(dim=1).values" in items["00·3"].solution
    assert "BEGIN SOLUTION" not in items["00·3"].solution


def test_nbgrader_metadata_marks_solutions_and_checks_as_the_tags_do(notebooks):
    """Notebook 00 with its tags replaced by nbgrader's cell metadata (what the grading flow adds)."""
    path = notebooks / "00_quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.pop("tags", [])
        if "solution" in tags:
            cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "image_score"}
        if "check" in tags:
            cell.metadata["nbgrader"] = {"solution": False, "grade": True, "grade_id": "check_image_score", "points": 1}
    nbformat.write(nb, path)
    assert guide.problems(notebooks, TEXT) == []


def test_a_new_item_without_an_answer_fails(notebooks):
    """Mutation: a new last item appended to notebook 06's exercises."""
    new = len(next(b for b in guide.read_notebooks(NOTEBOOKS) if b.stem.startswith("06")).items) + 1
    edit_exercises(notebooks, "06", lambda s: s + f"\n{new}. **Question.** Why does alpha = 3 keep almost nothing?")
    found = guide.problems(notebooks, TEXT)
    assert any(p.startswith(f"06·{new}: no answer in the guide") for p in found)
    assert f"06·{new}: in no assignment" in found


def test_an_answer_to_a_removed_item_fails(notebooks):
    """Mutation: notebook 13's third exercise deleted."""
    edit_exercises(notebooks, "13", lambda s: re.sub(r"(?ms)^3\. .*?(?=^\S|\Z)", "", s))
    found = guide.problems(notebooks, TEXT)
    assert "13·3: the guide answers an item that no longer exists" in found
    assert "A6 lists 13·3, which is no item" in found


def test_renumbered_items_fail(notebooks):
    """Mutation: a new first item inserted in notebook 01, the others renumbered 2 to 4."""

    def insert_first(source: str) -> str:
        shifted = re.sub(r"(?m)^(\d+)\. ", lambda m: f"{int(m[1]) + 1}. ", source)
        return shifted.replace("## Exercises\n", "## Exercises\n1. **Question.** What is a one-class bottleneck?\n")

    edit_exercises(notebooks, "01", insert_first)
    found = guide.problems(notebooks, TEXT)
    assert any(p.startswith("01·1: the guide quotes another text") for p in found)
    assert any(p.startswith("01·4: no answer in the guide") for p in found)


def test_reordered_items_fail(notebooks):
    """Mutation: notebook 04's first two questions swapped, their numbers kept."""

    def swap(source: str) -> str:
        swapped = swap_lines(source, "1. ", "2. ")
        numbers = iter(range(1, 100))
        return re.sub(r"(?m)^\d+\. ", lambda _: f"{next(numbers)}. ", swapped)

    edit_exercises(notebooks, "04", swap)
    found = guide.problems(notebooks, TEXT)
    assert not any("its exercises are numbered" in p for p in found)
    assert any(p.startswith("04·1: the guide quotes another text") for p in found)
    assert any(p.startswith("04·2: the guide quotes another text") for p in found)


def test_items_numbered_out_of_order_fail(notebooks):
    """Mutation: notebook 04's first two items swapped with their numbers (the list reads 2, 1, 3, 4)."""
    edit_exercises(notebooks, "04", lambda s: swap_lines(s, "1. ", "2. "))
    found = guide.problems(notebooks, TEXT)
    assert any(p.startswith("04_config_D_stop_gradient: its exercises are numbered [2, 1, 3, 4]") for p in found)


def test_reordered_answers_fail():
    """Mutation: the guide's answers to 12·1 and 12·2 swapped."""
    entries = re.split(r"(?m)^(?=#### )", TEXT)
    a = next(i for i, e in enumerate(entries) if e.startswith("#### 12·1 "))
    entries[a], entries[a + 1] = entries[a + 1], entries[a]
    found = guide.problems(NOTEBOOKS, "".join(entries))
    assert any(p.startswith("the answers are not in the notebooks' order") for p in found)


def test_a_notebook_missing_from_the_syllabus_fails(notebooks):
    """Mutations: notebook 09 taken out of the syllabus's week 5; a new notebook 15 that no week names."""
    without = TEXT.replace(", `09_medical_table5`", "", 1)
    assert "09_medical_table5: in no week of the syllabus" in guide.problems(notebooks, without)
    shutil.copy(notebooks / "10_backbones_and_maps.ipynb", notebooks / "15_extra.ipynb")
    assert "15_extra: in no week of the syllabus" in guide.problems(notebooks, TEXT)


def test_a_changed_solution_fails(notebooks):
    """Mutation: notebook 00's model solution rewritten (an equivalent answer, other code)."""
    path = notebooks / "00_quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "solution" in c.metadata.get("tags", []))
    cell.source = cell.source.replace("maps.flatten(1).max(dim=1).values", "maps.amax(dim=(1, 2))")
    nbformat.write(nb, path)
    assert "00·3: the guide's python block is not the notebook's model solution" in guide.problems(notebooks, TEXT)


def test_a_coding_exercise_without_its_check_fails(notebooks):
    """Mutation: the tag ``check`` removed from notebook 02's check cell."""
    path = notebooks / "02_config_B_global_cosine.ipynb"
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if "check" in c.metadata.get("tags", [])).metadata["tags"] = []
    nbformat.write(nb, path)
    found = guide.problems(notebooks, TEXT)
    assert "02_config_B_global_cosine: 1 coding exercise(s) but 0 (solution, check) cell pair(s)" in found


def test_an_exercise_outside_its_section_fails(notebooks):
    """Mutation: a "Try this" added to notebook 11's Summary, after its Exercises section."""
    path = notebooks / "11_smap_landscape.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].source += "\n\n**Try this.** Draw the planes at 256 px."
    nbformat.write(nb, path)
    found = guide.problems(notebooks, TEXT)
    assert any(p.startswith("11_smap_landscape: an exercise label outside its Exercises section") for p in found)


def test_an_assignment_released_before_its_notebooks_are_taught_fails():
    """Mutation: A5 (notebook 11, taught in week 6) released in week 5, in both tables."""
    moved = TEXT.replace("| A5 | 11·1–11·4 | week 6 |", "| A5 | 11·1–11·4 | week 5 |", 1)
    moved = moved.replace("| — | A4 |", "| A5 | A4 |", 1).replace("| A5 | — |", "| — | — |", 1)
    assert guide.problems(NOTEBOOKS, moved) == ["A5: released in week 5, before notebook 11 is taught"]


def test_the_script_exits_1_on_a_problem_and_0_without(notebooks, tmp_path, capsys):
    stale = tmp_path / "guide.md"
    stale.write_text(TEXT.replace("#### 14·3 · Try this", "#### 14·3 · Question"), encoding="utf-8")
    assert guide.main(["--notebooks", str(notebooks), "--guide", str(stale)]) == 1
    assert "14·3: the notebook's item is a Try this, the guide answers a Question" in capsys.readouterr().out
    assert guide.main(["--notebooks", str(notebooks)]) == 0
    assert guide.main(["--list", "--notebooks", str(notebooks)]) == 0
    assert "#### 06·3 · Try this\n\n> Move the slider" in capsys.readouterr().out
