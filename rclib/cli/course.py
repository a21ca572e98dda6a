"""``rclib student``: the course edition's student copies of the notebooks."""

from __future__ import annotations

import argparse
from pathlib import Path


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("student", help="student copies of the notebooks: solutions removed (nbgrader), checks kept")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument("--out", type=Path, default=Path("build/student"), help="where to write (default: build/student)")


def student_command(args: argparse.Namespace) -> int:
    import nbformat

    from ..course.student import exercises, write_student_copies

    written = write_student_copies(args.notebooks, args.out)
    count = sum(len(exercises(nbformat.read(p, as_version=4))) for p in written)
    print(f"{len(written)} student notebooks with {count} coding exercises (solutions removed) written to {args.out}")
    return 0
