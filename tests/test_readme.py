"""The README types no measured number by hand: its measured sections are generated from result files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _update_readme():
    spec = importlib.util.spec_from_file_location("update_readme", ROOT / "scripts" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_sections_match_the_result_files():
    readme = (ROOT / "README.md").read_text()
    assert _update_readme().render(readme) == readme, "README is out of date: run python scripts/update_readme.py"


def test_every_generated_section_is_there():
    readme = (ROOT / "README.md").read_text()
    for name in _update_readme().SECTIONS:
        assert f"<!-- {name}:start -->" in readme and f"<!-- {name}:end -->" in readme
