"""``rclib student`` and ``course``: the course edition's student copies of the notebooks, and the graded course
(nbgrader) built from them."""

from __future__ import annotations

import argparse
from pathlib import Path


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "student", help="student copies of the notebooks: solutions and hidden tests removed (nbgrader), checks kept"
    )
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument("--out", type=Path, default=Path("build/student"), help="where to write (default: build/student)")
    p = sub.add_parser(
        "course", help="the nbgrader course directory: one assignment per notebook with exercises, from the notebooks"
    )
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument(
        "--out", type=Path, default=Path("course"), help="the course directory, new or to update (default: course)"
    )


def student_command(args: argparse.Namespace) -> int:
    import nbformat

    from ..course.student import exercises, write_student_copies

    written = write_student_copies(args.notebooks, args.out)
    count = sum(len(exercises(nbformat.read(p, as_version=4))) for p in written)
    print(f"{len(written)} student notebooks with {count} coding exercises (solutions removed) written to {args.out}")
    return 0


def course_command(args: argparse.Namespace) -> int:
    from ..course.grading import POINTS, write_course

    written = write_course(args.notebooks, args.out)
    print(f"{len(written)} assignments written to {args.out / 'source'} (points per exercise: {POINTS}):")
    for path in written:
        print(f"  {path.parent.name}")
    print(f"student versions: cd {args.out} && nbgrader generate_assignment '*' (make release)")
    return 0
