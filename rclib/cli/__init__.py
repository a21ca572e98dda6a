"""The ``rclib`` command line: train, evaluate, predict, export, describe, demo-data, prepare, grid, reproduce,
book, study, student, course. One module per group of commands, each with its ``add`` (the subcommands' options) and one
function per command; :mod:`.options` holds what they share and :mod:`.errors` how they fail.

Expected failures (bad paths, names, sizes, options, checkpoints, disks, a missing optional dependency) print one
``rclib: error: ...`` line and exit with status 2, never a stack trace. Anything else is a bug or an exhausted
machine: one ``rclib: unexpected error ...`` line and status 1, with the traceback under ``--debug`` (or
``RCLIB_DEBUG=1``). Warnings print as ``rclib: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import traceback
import warnings
from collections.abc import Callable

from . import batch, course, data, scoring, train
from .errors import expected_errors, extra_of, show_warning, unexpected
from .options import Parser, add_switch

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "train": train.train_command,
    "evaluate": scoring.evaluate_command,
    "predict": scoring.predict_command,
    "export": scoring.export_command,
    "describe": data.describe_command,
    "demo-data": data.demo_data_command,
    "prepare": data.prepare_command,
    "grid": batch.grid_command,
    "reproduce": batch.reproduce_command,
    "book": batch.book_command,
    "study": batch.study_command,
    "student": course.student_command,
    "course": course.course_command,
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="rclib", description="ReContrast (NeurIPS 2023): train, evaluate and reproduce the paper.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {importlib.metadata.version('rclib')}")
    add_switch(parser, "--debug", False, "show the traceback of an unexpected error (also: environment RCLIB_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True, help="what to do (rclib COMMAND --help: its options)")
    for group in (train, scoring, data, batch, course):
        group.add(sub)
    return parser


def run_command(args: argparse.Namespace, debug: bool) -> int:
    """The command's status; an error as one line on stderr (2: expected, 1: unexpected, traceback with debug)."""
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("rclib: interrupted; train and predict continue with --resume", file=sys.stderr)
        return 130
    except ModuleNotFoundError as err:
        extra = extra_of(err.name)
        if extra is None:
            return unexpected(err, debug)
        print(
            f"rclib: error: rclib {args.command} needs the optional '{extra}' dependencies ({err}): "
            f"pip install 'rclib[{extra}]'",
            file=sys.stderr,
        )
        return 2
    except expected_errors() as err:
        if debug:
            traceback.print_exc()
        print(f"rclib: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - the last resort: one line, the traceback on request
        return unexpected(err, debug)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a bad option (its one line is printed already)
        return int(stop.code or 0)
    debug = args.debug or os.environ.get("RCLIB_DEBUG", "0") not in ("", "0")
    with warnings.catch_warnings():
        warnings.showwarning = show_warning
        return run_command(args, debug)
