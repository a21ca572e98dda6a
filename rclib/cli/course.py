"""``rclib student`` and ``course``: the course edition's student copies of the notebooks, and the graded course
(nbgrader) built from them."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import add_switch


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "student", help="student copies of the notebooks: solutions and hidden tests removed (nbgrader), checks kept"
    )
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("build/student"),
        help="the edition: OUT/notebooks, and the cached runs and demo data beside it (default: build/student)",
    )
    p.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        help="the cache to hand out: RESULTS/PROFILE (default: results)",
    )
    p.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="the demo data: DATA_DIR/demo/PROFILE (default: data)"
    )
    p.add_argument(
        "--profile",
        default="",
        help="the profile whose cached runs go with the copies (default: $RCLIB_PROFILE, else demo)",
    )
    add_switch(p, "--force", False, "write the edition again over an existing one (overwrites its notebooks)")
    p = sub.add_parser(
        "course", help="the nbgrader course directory: one assignment per notebook with exercises, from the notebooks"
    )
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"), help="the notebooks (default: notebooks)")
    p.add_argument(
        "--out", type=Path, default=Path("course"), help="the course directory, new or to update (default: course)"
    )


def student_command(args: argparse.Namespace) -> int:
    import nbformat

    from ..course.student import exercises, write_student_edition
    from ..paper.profiles import get_profile

    profile = get_profile(args.profile or None).name
    edition = write_student_edition(
        args.notebooks, args.out, profile=profile, results_root=args.results, data_dir=args.data_dir, force=args.force
    )
    count = sum(len(exercises(nbformat.read(p, as_version=4))) for p in edition.notebooks)
    print(
        f"{len(edition.notebooks)} student notebooks with {count} coding exercises (solutions removed) written to "
        f"{args.out / 'notebooks'}"
    )
    if edition.runs:
        print(
            f"with the {profile} cache: {edition.runs} cached runs ({edition.results_bytes / 2**20:.0f} MiB) in "
            f"{args.out / 'results' / profile} and its demo data ({edition.data_bytes / 2**20:.0f} MiB): the copies "
            "load these runs instead of training them"
        )
    else:
        print(
            f"no cached runs under {args.results / profile}: the copies will train every run they show (run "
            f"`make reproduce` first, or pass --results)"
        )
    return 0


def course_command(args: argparse.Namespace) -> int:
    from ..course.grading import POINTS, write_course

    written = write_course(args.notebooks, args.out)
    points = f"{POINTS} point per check, {POINTS} for its hidden tests"
    print(f"{len(written)} assignments written to {args.out / 'source'} ({points}):")
    for path in written:
        print(f"  {path.parent.name}")
    print(f"student versions: cd {args.out} && nbgrader generate_assignment '*' (make release)")
    return 0
