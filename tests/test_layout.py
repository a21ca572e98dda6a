"""The package's shape: imports run one way, from the paper's artefacts down to configurations and data."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rclib"
# each part may import its own layer's modules and the layers below; config and data sit side by side at the bottom
LAYERS = {
    "config": 0,
    "data": 0,
    "method": 1,
    "scoring": 2,
    "runs": 3,
    "paper": 4,
    "course": 5,
    "batch": 5,
    "cli": 6,
    "__main__": 7,
}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[str]:
    """The rclib modules that ``path`` imports, as absolute names."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found += [target] if target.startswith("rclib") else []
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("rclib")]
    return found


def test_imports_only_run_downwards():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _part(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        if own == "__init__":
            continue  # the package root gathers the public API from every layer
        for target in _imports(path):
            other = _part(target)
            upward = other == "__init__" or LAYERS[other] > LAYERS[own]
            sideways = other != own and LAYERS[other] == LAYERS[own]
            if upward or sideways:
                wrong.append(f"{path.relative_to(PACKAGE.parent)} imports {target}")
    assert not wrong, "imports that do not run downwards:\n" + "\n".join(wrong)


def test_top_level_parts_are_the_architecture():
    parts = {p.stem for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert parts == {
        "__init__",
        "__main__",
        "cli",
        "config",
        "data",
        "method",
        "scoring",
        "runs",
        "paper",
        "course",
        "batch",
    }


def test_public_api_from_the_top():
    import rclib

    for name in ("PRESETS", "get_preset", "ReContrastConfig", "build_model", "fit", "score", "__version__"):
        assert hasattr(rclib, name), name
