"""What the exercises' checks use: an answer must be the student's own derivation, not a call of the rclib function
it is compared with."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def rclib_code_run(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """``function(*args, **kwargs)`` and the rclib functions (``module.py:name``) that ran during the call, however
    they were reached (an import under another name, a wrapper, a method)."""
    seen: list[str] = []
    previous = sys.getprofile()

    def watch(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(PACKAGE):
            seen.append(f"{frame.f_code.co_filename.removeprefix(PACKAGE)}:{frame.f_code.co_name}")

    sys.setprofile(watch)
    try:
        result = function(*args, **kwargs)
    finally:
        sys.setprofile(previous)
    return result, seen


def without_rclib(function: F) -> F:
    """``function`` as a check calls it: the same result, or an AssertionError when any rclib code ran inside it
    (the answer called the implementation it is checked against instead of deriving it)."""

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        result, seen = rclib_code_run(function, *args, **kwargs)
        if seen:
            raise AssertionError(
                f"{function.__name__} calls rclib ({', '.join(dict.fromkeys(seen))}): "
                "write the computation yourself, with torch or numpy"
            )
        return result

    return cast(F, checked)
