"""The lowest versions ``pyproject.toml`` admits, as pins: every requirement ``NAME>=X`` of the core and of every
extra becomes ``NAME==X`` (``==`` pins stay). ``make floors`` installs them into ``build/floors/`` and runs the
test suite there, which is what makes the floors honest: a floor the code or the tests do not run on fails there.

    python3 scripts/version_floors.py          # the pins, one per line (standard library only)
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)(?P<extras>\[[^\]]*\])?\s*(?P<op>==|>=)\s*(?P<version>[^,;\s]+)$")


def floor_pin(requirement: str) -> str:
    """``NAME>=X`` as ``NAME==X`` (the name normalised as pip compares names); anything else is refused: every
    requirement must be a floor or a pin, without an upper bound or an environment marker."""
    found = REQUIREMENT.match(requirement.strip())
    if not found:
        raise ValueError(
            f"pyproject.toml: requirement {requirement!r} is not NAME>=X or NAME==X (no upper bound, no marker)"
        )
    name = re.sub(r"[-_.]+", "-", found["name"]).lower()
    return f"{name}{found['extras'] or ''}=={found['version']}"


def floor_pins(project: dict) -> list[str]:
    """The pins of the core and of every extra, in pyproject's order, each package once; a package given two
    different floors (in the core and an extra, say) is refused."""
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    pins: dict[str, str] = {}
    for requirement in requirements:
        pin = floor_pin(requirement)
        name = re.split(r"[\[=]", pin, maxsplit=1)[0]
        if pins.setdefault(name, pin) != pin:
            raise ValueError(f"pyproject.toml: {name} has two floors, {pins[name]} and {pin}")
    return list(pins.values())


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    print("\n".join(floor_pins(project)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
