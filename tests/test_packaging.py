"""Install files agree with each other and pin what must be pinned."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ]", req, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_reqs = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    env = (ROOT / "environment.yml").read_text()
    pip_section = env.split("- pip:", 1)[1]
    env_reqs = {line.strip()[2:] for line in pip_section.splitlines() if line.strip().startswith("- ") and not line.strip().startswith("- -e")}
    assert env_reqs == pip_reqs


def test_torch_is_pinned_everywhere():
    for f in ("pyproject.toml", "environment.yml", "Makefile"):
        text = (ROOT / f).read_text()
        assert "torch==2.14.1" in text and "torchvision==0.29.1" in text, f


def test_ci_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make reproduce" in readme
