"""The package drawn from its imports: which top-level part of ``rclib`` imports which, as a matrix ordered by the
layers that ``tests/test_layout.py`` enforces (a cell: how many module-to-module imports), beside each part's
modules. Writes ``docs/package_imports.png`` and
``docs/package_imports.json`` (the parts, their modules and the edges; ``tests/test_layout.py`` checks that it
matches the code, so the drawing cannot drift).

    python scripts/package_imports.py
"""

from __future__ import annotations

import ast
import json
import textwrap
from collections import Counter
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rclib"
OUT = ROOT / "docs" / "package_imports"
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


def module_name(path: Path, package: Path = PACKAGE) -> str:
    return ".".join(path.relative_to(package.parent).with_suffix("").parts)


def part_of(module: str) -> str:
    """The top-level part of ``rclib.<part>.<...>`` (``__init__`` for the package root itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports_of(path: Path, package: Path = PACKAGE) -> list[str]:
    """The rclib modules that the file ``path`` imports, as absolute names (relative imports resolved)."""
    module = module_name(path, package)
    here = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found += [target] if target.startswith(package.name) else []
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith(package.name)]
    return found


def description(package: Path = PACKAGE) -> dict:
    """The parts with their modules, and the part-to-part edges with the number of imports each carries (the
    package root, which gathers the public API from every layer, is left out)."""
    modules: dict[str, list[str]] = {}
    edges: Counter[tuple[str, str]] = Counter()
    for path in sorted(package.rglob("*.py")):
        own = part_of(module_name(path, package))
        if own == "__init__":
            continue
        inner = module_name(path, package).split(".")[2:] or [path.stem]
        modules.setdefault(own, []).append(".".join(inner))
        for target in imports_of(path, package):
            other = part_of(target)
            if other != own:
                edges[own, other] += 1
    return {
        "parts": {p: sorted(m) for p, m in sorted(modules.items(), key=lambda kv: (LAYERS[kv[0]], kv[0]))},
        "edges": [{"from": a, "to": b, "imports": n} for (a, b), n in sorted(edges.items())],
    }


def draw(desc: dict) -> plt.Figure:
    """The import matrix (row: the importing part, column: the part imported; a cell: how many module-to-module
    imports), parts ordered by layer from the top, so that every import lies below the diagonal when they all run
    downwards; beside it each part's modules."""
    parts = list(desc["parts"])
    counts = np.zeros((len(parts), len(parts)))
    for edge in desc["edges"]:
        counts[parts.index(edge["from"]), parts.index(edge["to"])] = edge["imports"]
    order = parts[::-1]  # the highest layer first
    shown = counts[::-1, ::-1]
    fig, (ax, side) = plt.subplots(1, 2, figsize=(12, 6.4), width_ratios=(1, 1.1), layout="compressed")
    image = ax.imshow(np.where(shown > 0, shown, np.nan), cmap="Blues", vmin=0, vmax=shown.max())
    for i, j in zip(*np.nonzero(shown), strict=True):
        ax.text(j, i, f"{int(shown[i, j])}", ha="center", va="center", fontsize=8)
    labels = [f"{p} ({LAYERS[p]})" for p in order]
    ax.set_xticks(range(len(order)), labels, rotation=90)
    ax.set_yticks(range(len(order)), labels)
    ax.set_xlabel("imported part (layer)")
    ax.set_ylabel("importing part (layer)")
    ax.plot([-0.5, len(order) - 0.5], [-0.5, len(order) - 0.5], color="0.6", lw=0.8, ls="--")
    fig.colorbar(image, ax=ax, label="module-to-module imports", shrink=0.8)
    ax.set_title("imports run one way: none above the diagonal")
    side.axis("off")
    lines = [f"{p}/  " + ", ".join(m for m in desc["parts"][p] if not m.endswith("__init__")) for p in order]
    side.text(0, 1, "\n".join(textwrap.fill(line, 70, subsequent_indent="    ") for line in lines), va="top",
              fontsize=8, family="monospace", linespacing=1.35, transform=side.transAxes)  # fmt: skip
    side.set_title("the modules of each part", loc="left")
    return fig


def main() -> None:
    desc = description()
    OUT.parent.mkdir(exist_ok=True)
    OUT.with_suffix(".json").write_text(json.dumps(desc, indent=1) + "\n")
    draw(desc).savefig(OUT.with_suffix(".png"), dpi=110, metadata={"Software": None})
    print(f"wrote {OUT.with_suffix('.png')} and .json: {len(desc['parts'])} parts, {len(desc['edges'])} edges")


if __name__ == "__main__":
    main()
