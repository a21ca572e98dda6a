"""What every command shares: the parser with one-line errors, option types whose bad value is one line
naming the option, and ``--set FIELD=VALUE`` overrides checked against the configuration."""

from __future__ import annotations

import argparse
import math
import re

from ..config import ReContrastConfig


class Parser(argparse.ArgumentParser):
    """argparse with rclib's one-line errors: ``rclib: error: argument --x: ... (see rclib cmd --help)``, status 2."""

    def error(self, message: str) -> None:
        self.exit(2, f"rclib: error: {message} (see {self.prog} --help)\n")


def positive_int(text: str) -> int:
    if not re.fullmatch(r"\d+", text) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


def count(text: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise argparse.ArgumentTypeError(f"expected 0 or a positive integer, got {text!r}")
    return int(text)


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def fraction(text: str) -> float:
    value = finite_float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def device_name(text: str) -> str:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (CUDA only where it is available), ``mps``."""
    import torch

    if text == "auto":
        return text
    try:
        device = torch.device(text)
    except RuntimeError:
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda, cuda:N or mps, got {text!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{text!r} asked for, but CUDA is not available here: use auto or cpu")
    return text


def add_set(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--set", nargs="+", action="extend", default=[], metavar="FIELD=VALUE", help=help_text)


def add_switch(parser: argparse.ArgumentParser, flag: str, default: bool, help_text: str) -> None:
    """A boolean option with its ``--no-`` form."""
    parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=help_text)


def add_progress(parser: argparse.ArgumentParser) -> None:
    add_switch(parser, "--progress", True, "a progress bar on the terminal (default); --no-progress: none")


def overrides(items: list[str]) -> dict[str, object]:
    """``FIELD=VALUE`` items as configuration overrides: VALUE is a Python literal (a plain string otherwise),
    checked against the field's type so that a bad value is one clear line."""
    import ast
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(ReContrastConfig)}
    defaults = ReContrastConfig()
    out: dict[str, object] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or name not in fields:
            raise ValueError(
                f"--set {item!r}: expected FIELD=VALUE, FIELD one of the configuration's fields: {', '.join(fields)}"
            )
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        default = getattr(defaults, name)
        expected = type(default)
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"--set {item!r}: {name} expects True or False")
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is not None and not isinstance(default, tuple) and not isinstance(value, expected):
            raise ValueError(f"--set {item!r}: {name} expects a {expected.__name__}, got {text!r}")
        if name == "device":
            try:
                device_name(value)
            except argparse.ArgumentTypeError as err:
                raise ValueError(f"--set {item!r}: {err}") from None
        out[name] = value
    ReContrastConfig().replace(**out)  # the configuration's own checks: one line naming the field
    return out
