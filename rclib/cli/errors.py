"""How a command fails: an expected error is one ``rclib: error: ...`` line (status 2), a missing optional
dependency names its extra, anything else is one ``rclib: unexpected error ...`` line (status 1, the traceback
under ``--debug``)."""

from __future__ import annotations

import importlib.metadata
import re
import sys
import traceback


def extra_of(module: str | None) -> str | None:
    """The optional extra of rclib's installed requirements that provides ``module`` (``seaborn`` -> ``notebooks``),
    read from the package's metadata; None when no extra does."""
    top = (module or "").split(".")[0].lower()
    for requirement in importlib.metadata.requires("rclib") or []:
        spec, _, marker = requirement.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        name = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("-", "_")
        if extra and name == top:
            return extra.group(1)
    return None


def expected_errors() -> tuple[type[BaseException], ...]:
    """Bad input and unmet conditions, each one line (DataError, a configuration's ValueError and CheckpointMismatch
    are ValueErrors): never a bare RuntimeError, which is a bug or an exhausted machine."""
    from ..method import WeightsUnavailableError
    from ..runs import TrainingDiverged
    from ..runs.lock import RunBusy
    from ..runs.runtime import SaveError

    return ValueError, FileNotFoundError, WeightsUnavailableError, SaveError, TrainingDiverged, RunBusy


def show_warning(message: Warning | str, *_: object, **__: object) -> None:
    """A warning as one ``rclib: warning: ...`` line on stderr (the signature of ``warnings.showwarning``)."""
    print(f"rclib: warning: {message}", file=sys.stderr)


def unexpected(err: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(err)
        print(f"rclib: unexpected error: {type(err).__name__}: {err}", file=sys.stderr)
    else:
        print(
            f"rclib: unexpected error (run with --debug for the traceback): {type(err).__name__}: {err}",
            file=sys.stderr,
        )
    return 1
