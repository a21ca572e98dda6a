"""The instructor's guide (``docs/instructor_guide.md``) checked against the notebooks, so that it cannot drift.

Every exercise of a notebook is an item of the numbered list under its ``## Exercises`` heading, with a stable id:
the notebook's number and the item's, ``"06·3"``. An item is a question (``**Question.**``), a change to try
(``**Try this.**``), a coding exercise (``**Code.**``, whose model solution is the notebook's next cell tagged
``solution``) or, unlabelled, an exercise. The guide answers each one under ``#### 06·3 · Try this``, inside
``### 06_hard_normal_mining``, in the notebooks' order: the heading is followed by the item quoted (``> ...``) and
the answer; a coding exercise's answer shows the notebook's solution in a ``python`` block. The guide's syllabus
names every notebook in one of its weeks, and its assignments cover every item exactly once.

    python scripts/instructor_guide.py          # what disagrees; exit status 1 if anything does
    python scripts/instructor_guide.py --list   # every item as the guide expects it: heading, quote, solution
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
GUIDE = ROOT / "docs" / "instructor_guide.md"
WEEKS = 8
LABELS = {"**Question.**": "Question", "**Try this.**": "Try this", "*Try this:*": "Try this", "**Code.**": "Code"}
UNLABELLED = "Exercise"
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HEADING = re.compile(r"^(#{1,6}) +(.+?)\s*$")
ITEM = re.compile(r"^(\d+)\. +(.*)$")
ANSWER = re.compile(r"^(\d\d·\d+) · (.+)$")
ITEM_IDS = re.compile(r"(\d\d)·(\d+)(?:–\1·(\d+))?")
NOTEBOOK_NAMES = re.compile(r"`(\d\d_\w+)`")
ASSIGNMENT_NAMES = re.compile(r"\bA\d+\b")
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.M | re.S)
FENCED = re.compile(r"^```.*?^```", flags=re.M | re.S)


def squash(text: str) -> str:
    """``text`` with every run of whitespace replaced by one space (how quotes are compared)."""
    return " ".join(text.split())


def lines(text: str) -> Iterator[tuple[str, bool]]:
    """The lines of Markdown ``text``, each with whether it lies inside a fenced code block."""
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            yield line, True
        else:
            yield line, fenced


@dataclass(frozen=True)
class Item:
    """One exercise of a notebook: ``id`` ("06·3"), its ``kind``, its text (squashed, without number and label),
    the number the notebook prints, and for a coding exercise the source of its model solution."""

    id: str
    kind: str
    text: str
    written: int
    solution: str = ""


@dataclass(frozen=True)
class Notebook:
    """A notebook's items, and what would make them ambiguous: exercise labels outside its Exercises section
    (``stray``, by cell) and its count of (solution, check) cell pairs."""

    stem: str
    items: tuple[Item, ...]
    stray: tuple[str, ...]
    solutions: int


def split_label(text: str) -> tuple[str, str]:
    """``(kind, text without its label)`` of an item's text."""
    for label, kind in LABELS.items():
        if text.startswith(label):
            return kind, squash(text.removeprefix(label))
    return UNLABELLED, squash(text)


def exercise_items(source: str) -> tuple[list[tuple[int, str]], str]:
    """``(items, rest)`` of a Markdown cell: the (printed number, text) of each item under an ``Exercises``
    heading, and the cell's other text, where exercise labels do not belong."""
    items: list[tuple[int, str]] = []
    rest: list[str] = []
    inside = False
    for line, fenced in lines(source):
        heading = None if fenced else HEADING.match(line)
        if heading:
            inside = heading[2] == "Exercises"
        start = ITEM.match(line) if inside and not fenced else None
        if start:
            items.append((int(start[1]), start[2]))
        elif inside and items and line.strip() and not heading:
            items[-1] = (items[-1][0], f"{items[-1][1]} {line.strip()}")
        elif not inside:
            rest.append(line)
    return items, "\n".join(rest)


def solution_source(cell: nbformat.NotebookNode) -> str:
    """A solution cell's source without nbgrader's solution markers: the model answer as a student sees it."""
    kept = [line for line in cell.source.splitlines() if line.strip() not in SOLUTION_MARKERS]
    return "\n".join(kept).strip()


def is_solution(cell: nbformat.NotebookNode) -> bool:
    """A model solution: tagged ``solution``, or marked as a solution cell in nbgrader's metadata."""
    return "solution" in cell.metadata.get("tags", []) or bool(cell.metadata.get("nbgrader", {}).get("solution"))


def is_check(cell: nbformat.NotebookNode) -> bool:
    """A check: tagged ``check``, or an nbgrader autograder test (graded, not a solution)."""
    grader = cell.metadata.get("nbgrader", {})
    return "check" in cell.metadata.get("tags", []) or bool(grader.get("grade") and not grader.get("solution"))


def solutions(nb: nbformat.NotebookNode) -> list[str]:
    """The model solutions of a notebook's coding exercises: every solution cell whose next cell checks it (by the
    course's tags, as :func:`rclib.course.student.exercises` pairs them, or by nbgrader's metadata)."""
    cells = nb.cells
    return [solution_source(c) for c, n in zip(cells, cells[1:], strict=False) if is_solution(c) and is_check(n)]


def read_notebook(path: Path) -> Notebook:
    """The items of the notebook at ``path``, numbered by position (``NN·1``, ``NN·2``, ...)."""
    nb = nbformat.read(path, as_version=4)
    number = path.stem[:2]
    found, stray = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        items, rest = exercise_items(cell.source)
        found += items
        stray += [f"cell {index}: {label}" for label in LABELS if label in rest]
    models = solutions(nb)
    unused = iter(models)
    items = []
    for position, (written, raw) in enumerate(found, start=1):
        kind, text = split_label(raw)
        solution = next(unused, "") if kind == "Code" else ""
        items.append(Item(f"{number}·{position}", kind, text, written, solution))
    return Notebook(path.stem, tuple(items), tuple(stray), len(models))


def read_notebooks(folder: Path) -> list[Notebook]:
    """Every numbered notebook of ``folder``, in order."""
    return [read_notebook(p) for p in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))]


@dataclass(frozen=True)
class Answer:
    """One answer of the guide: the item it answers, the kind its heading names, the notebook heading it sits
    under, the item as it quotes it (squashed), the answer's text and its ``python`` blocks."""

    id: str
    kind: str
    notebook: str
    quote: str
    text: str
    code: tuple[str, ...]


def section(guide: str, title: str) -> str:
    """The text of the guide's ``## title`` section (up to the next ``##`` heading), or "" if there is none."""
    out: list[str] = []
    inside = False
    for line, fenced in lines(guide):
        heading = None if fenced else HEADING.match(line)
        if heading and len(heading[1]) <= 2:
            inside = len(heading[1]) == 2 and heading[2] == title
        elif inside:
            out.append(line)
    return "\n".join(out)


def python_blocks(text: str) -> tuple[str, ...]:
    """The contents of the ``python`` code blocks of Markdown ``text``."""
    return tuple(block.strip() for block in PYTHON_BLOCK.findall(text))


def _answer(head: re.Match, notebook: str, body: list[str]) -> Answer:
    start = next((k for k, line in enumerate(body) if line.strip()), len(body))
    end = next((k for k in range(start, len(body)) if not body[k].startswith(">")), len(body))
    quote = squash(" ".join(line.lstrip(">") for line in body[start:end]))
    text = "\n".join(body[end:])
    return Answer(head[1], head[2], notebook, quote, text, python_blocks(text))


def answers(guide: str) -> list[Answer]:
    """The answers of the guide's ``## Model answers`` section, in the guide's order."""
    found: list[Answer] = []
    notebook, head, body = "", None, []
    for line, fenced in lines(section(guide, "Model answers") + "\n### end"):
        heading = None if fenced else HEADING.match(line)
        if not heading:
            body.append(line)
            continue
        if head:
            found.append(_answer(head, notebook, body))
        head, body = (ANSWER.match(heading[2]) if len(heading[1]) == 4 else None), []
        notebook = heading[2] if len(heading[1]) == 3 else notebook
    return found


def table(text: str) -> list[dict[str, str]]:
    """The rows of the first Markdown table in ``text``, as dictionaries keyed by the header's cells."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")] for line in text.splitlines() if line.startswith("|")
    ]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[2:]] if rows else []


def item_ids(text: str) -> list[str]:
    """The item ids a cell of the assignments table lists: ``06·1–06·4, 07·2`` -> 06·1, 06·2, 06·3, 06·4, 07·2."""
    ids = []
    for number, first, last in ITEM_IDS.findall(text):
        ids += [f"{number}·{k}" for k in range(int(first), int(last or first) + 1)]
    return ids


def notebook_problems(books: list[Notebook]) -> list[str]:
    """Items a notebook numbers out of order, exercise labels outside an Exercises section, and coding
    exercises without exactly one (solution, check) pair."""
    out = []
    for b in books:
        written = [i.written for i in b.items]
        if written != list(range(1, len(written) + 1)):
            out.append(f"{b.stem}: its exercises are numbered {written}, not 1 to {len(written)}")
        out += [f"{b.stem}: an exercise label outside its Exercises section ({s})" for s in b.stray]
        codes = sum(i.kind == "Code" for i in b.items)
        if codes != b.solutions:
            out.append(f"{b.stem}: {codes} coding exercise(s) but {b.solutions} (solution, check) cell pair(s)")
    return out


def mismatches(item: Item, answer: Answer, stem: str) -> list[str]:
    """How an answer fails the item it claims to answer."""
    out = []
    if answer.notebook != stem:
        out.append(f"{item.id}: answered under '### {answer.notebook}', not '### {stem}'")
    if answer.kind != item.kind:
        out.append(f"{item.id}: the notebook's item is a {item.kind}, the guide answers a {answer.kind}")
    if answer.quote != item.text:
        out.append(f"{item.id}: the guide quotes another text (renumbered, reordered or edited?): {item.text!r}")
    if not squash(FENCED.sub("", answer.text)):
        out.append(f"{item.id}: the answer has no text besides its code")
    if item.kind == "Code" and item.solution not in answer.code:
        out.append(f"{item.id}: the guide's python block is not the notebook's model solution")
    return out


def answer_problems(books: list[Notebook], given: list[Answer]) -> list[str]:
    """Items without an answer, answers to items that do not exist, answers twice or out of order, and answers
    that do not fit their item."""
    items = {i.id: (i, b.stem) for b in books for i in b.items}
    ids = [a.id for a in given]
    out = [
        f"{i}: no answer in the guide ({item.kind}: {item.text[:70]})" for i, (item, _) in items.items() if i not in ids
    ]
    out += [f"{i}: the guide answers an item that no longer exists" for i in ids if i not in items]
    out += [f"{i}: answered {n} times" for i, n in Counter(ids).items() if n > 1]
    shared = [i for i in ids if i in items]
    if shared != [i for i in items if i in ids]:
        out.append(f"the answers are not in the notebooks' order: {', '.join(shared)}")
    for a in given:
        if a.id in items:
            item, stem = items[a.id]
            out += mismatches(item, a, stem)
    return out


def week_numbers(rows: list[dict[str, str]], column: str) -> list[int]:
    return [int(re.sub(r"\D", "", row.get(column, "")) or 0) for row in rows]


def syllabus_problems(books: list[Notebook], guide: str) -> list[str]:
    """Weeks missing or out of order, notebooks the syllabus does not teach (or names without their existing)."""
    weeks = table(section(guide, "Syllabus"))
    out = []
    if week_numbers(weeks, "Week") != list(range(1, WEEKS + 1)):
        out.append(f"the syllabus's weeks are {week_numbers(weeks, 'Week')}, not 1 to {WEEKS}")
    named = [name for row in weeks for name in NOTEBOOK_NAMES.findall(row.get("Notebooks", ""))]
    stems = [b.stem for b in books]
    out += [f"{s}: in no week of the syllabus" for s in stems if s not in named]
    out += [f"the syllabus names {s}, which is not a notebook" for s in dict.fromkeys(named) if s not in stems]
    return out


def taught(guide: str) -> dict[str, int]:
    """The week in which the syllabus first teaches each notebook, by its number ("06")."""
    rows = table(section(guide, "Syllabus"))
    weeks: dict[str, int] = {}
    for row, week in zip(rows, week_numbers(rows, "Week"), strict=True):
        for name in NOTEBOOK_NAMES.findall(row.get("Notebooks", "")):
            weeks.setdefault(name[:2], week)
    return weeks


def assignment_problems(books: list[Notebook], guide: str) -> list[str]:
    """Items in no assignment or in two, ids that are no item, weeks that cannot be, an assignment released
    before its notebooks are taught, and a syllabus whose Released and Due columns disagree."""
    rows = table(section(guide, "Assignments"))
    listed = {row["Assignment"]: item_ids(row["Exercises"]) for row in rows}
    ids = [i.id for b in books for i in b.items]
    everywhere = [i for row in listed.values() for i in row]
    out = [f"{i}: in no assignment" for i in ids if i not in everywhere]
    out += [f"{name} lists {i}, which is no item" for name, row in listed.items() for i in row if i not in ids]
    out += [f"{i}: in {n} assignments" for i, n in Counter(everywhere).items() if n > 1]
    weeks = taught(guide)
    for row, released, due in zip(rows, week_numbers(rows, "Released"), week_numbers(rows, "Due"), strict=True):
        if not 1 <= released <= due <= WEEKS:
            out.append(f"{row['Assignment']}: released in week {released}, due in week {due}")
        late = sorted({i[:2] for i in listed[row["Assignment"]] if weeks.get(i[:2], WEEKS + 1) > released})
        out += [f"{row['Assignment']}: released in week {released}, before notebook {n} is taught" for n in late]
    return out + schedule_problems(guide, rows)


def schedule_problems(guide: str, rows: list[dict[str, str]]) -> list[str]:
    """Weeks of the syllabus whose Released or Due column disagrees with the assignments table."""
    weeks = table(section(guide, "Syllabus"))
    out = []
    for column in ("Released", "Due"):
        planned = dict(zip((r["Assignment"] for r in rows), week_numbers(rows, column), strict=True))
        for row, week in zip(weeks, week_numbers(weeks, "Week"), strict=True):
            said = sorted(ASSIGNMENT_NAMES.findall(row.get(column, "")))
            expected = sorted(name for name, w in planned.items() if w == week)
            if said != expected:
                out.append(f"week {week}: the syllabus's {column} column says {said}, the assignments table {expected}")
    return out


def problems(notebooks: Path, guide: str) -> list[str]:
    """Everything in which the guide's text ``guide`` and the notebooks of the folder ``notebooks`` disagree;
    empty when the guide is up to date."""
    books = read_notebooks(notebooks)
    return [
        *notebook_problems(books),
        *answer_problems(books, answers(guide)),
        *syllabus_problems(books, guide),
        *assignment_problems(books, guide),
    ]


def expected_entry(item: Item) -> str:
    """An item as the guide expects it: its heading, its quote and, for a coding exercise, the model solution."""
    entry = f"#### {item.id} · {item.kind}\n\n> {item.text}\n"
    return entry + (f"\n```python\n{item.solution}\n```\n" if item.kind == "Code" else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print every item as the guide expects it")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS)
    parser.add_argument("--guide", type=Path, default=GUIDE)
    args = parser.parse_args(argv)
    if args.list:
        for book in (b for b in read_notebooks(args.notebooks) if b.items):
            print(f"### {book.stem}\n")
            print("\n".join(expected_entry(item) for item in book.items))
        return 0
    found = problems(args.notebooks, args.guide.read_text(encoding="utf-8"))
    for problem in found:
        print(problem)
    items = sum(len(b.items) for b in read_notebooks(args.notebooks))
    print(
        f"{len(found)} problem(s); {items} items in the notebooks" if found else f"the guide answers all {items} items"
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
