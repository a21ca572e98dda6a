"""Install files agree with each other and pin what must be pinned; core modules import extras lazily; a wheel
installed with the core dependencies alone trains, predicts and exports through the command line, and names the
extra that a notebook or grid command needs."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CORE_PARTS = ("config", "data", "method", "scoring", "runs", "cli")  # what train, evaluate, predict and export use


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    pip_reqs = set(PROJECT["dependencies"]).union(*PROJECT["optional-dependencies"].values())
    env = (ROOT / "environment.yml").read_text()
    pip_section = env.split("- pip:", 1)[1]
    env_reqs = {
        line.strip()[2:]
        for line in pip_section.splitlines()
        if line.strip().startswith("- ") and not line.strip().startswith("- -e")
    }
    assert env_reqs == pip_reqs


def test_torch_is_pinned_everywhere():
    for f in ("pyproject.toml", "environment.yml", "Makefile"):
        text = (ROOT / f).read_text()
        assert "torch==2.14.1" in text and "torchvision==0.29.1" in text, f


def test_the_makefile_installs_every_extra():
    extras = re.search(r"^EXTRAS\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1).split(",")
    assert sorted(extras) == sorted(PROJECT["optional-dependencies"])


def test_ci_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make reproduce" in readme


def _extra_modules() -> dict[str, str]:
    """Import name -> extra, for every package of an optional extra (distribution names, normalised)."""
    return {
        _name(req).replace("-", "_"): extra
        for extra, reqs in PROJECT["optional-dependencies"].items()
        for req in reqs
        if extra != "test"
    }


def test_core_modules_import_extras_only_inside_functions():
    extras, eager = _extra_modules(), []
    for part in CORE_PARTS:
        paths = [ROOT / "rclib" / f"{part}.py"] if (ROOT / "rclib" / f"{part}.py").exists() else []
        for path in paths or sorted((ROOT / "rclib" / part).rglob("*.py")):
            for node in ast.parse(path.read_text()).body:  # module level only: imports inside functions are lazy
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names += [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
                eager += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in extras]
    assert not eager, f"core modules importing an extra's package at import time: {eager}"


# --- a wheel with the core dependencies alone ------------------------------------------------------------------
def core_distributions() -> dict[str, importlib.metadata.Distribution]:
    """The installed distributions that the core requirements need, transitively (markers evaluated here)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = [(Requirement(r), "") for r in PROJECT["dependencies"]]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        key = canonicalize_name(req.name)
        if key in found and not req.extras:
            continue
        found[key] = dist = importlib.metadata.distribution(req.name)
        todo += [(Requirement(r), e) for r in dist.requires or [] for e in (req.extras or {""})]
    return found


def link_core_site(target: Path) -> None:
    """A folder of symbolic links to the files of the core distributions installed here (torch is reused, not
    copied), and nothing else: the extras stay invisible."""
    target.mkdir()
    for dist in core_distributions().values():
        assert dist.files, f"{dist.metadata['Name']} lists no files (no RECORD)"
        for top in {Path(f).parts[0] for f in dist.files} - {"..", "__pycache__"}:
            source = Path(dist.locate_file(top))
            if source.exists() and not (target / top).exists():
                (target / top).symlink_to(source)


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory) -> Path:
    """A fresh venv with the rclib wheel and its core dependencies only; returns its ``bin`` folder."""
    tmp = tmp_path_factory.mktemp("core")
    src = tmp / "src"
    shutil.copytree(ROOT / "rclib", src / "rclib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip"]
    build = [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(src)]
    subprocess.run(build, check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("rclib-*.whl"))
    venv.create(tmp / "venv", with_pip=False)
    python = tmp / "venv" / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    link_core_site(tmp / "core-site")
    (Path(site) / "rclib_core_deps.pth").write_text(f"{tmp / 'core-site'}\n")
    target = [*pip, "--python", str(python)]
    subprocess.run([*target, "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    check = subprocess.run([*target, "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr  # the core requirements are met by what is visible
    return tmp / "venv" / "bin"


WHEEL_CHECK = """
import pandas as pd
import rclib
from rclib.paper.tables import with_paper_column

assert "site-packages" in rclib.__file__, rclib.__file__  # the installed copy, not the source tree
ours = pd.DataFrame({"config": ["ReContrast"], "data": ["mvtec_ad average of 15"], "I-AUROC mean": [99.0]})
table = with_paper_column(ours, "table6", metric_names={"I-AUROC": "I-AUROC_last"}, dataset="mvtec_ad")
print(rclib.__version__, table["I-AUROC paper (MVTec AD average)"].iloc[0], table["I-AUROC difference"].iloc[0])
"""

DEMO_FOLDER = """
import sys
from rclib.data import DemoSpec, write_demo_data, write_demo_folder
demo = write_demo_data(sys.argv[1] + "/demo", DemoSpec(size=64, n_train=12, n_test_good=4, n_per_defect=1))
write_demo_folder(sys.argv[1] + "/bricks", demo, category="brick")
"""


def _run(cmd: list, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "RCLIB_OFFLINE": "1", "HOME": str(cwd), "OMP_NUM_THREADS": "2"}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env)


def test_the_wheel_carries_the_paper_values_and_its_version(core_venv, tmp_path):
    out = _run([core_venv / "python", "-c", WHEEL_CHECK], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    version, paper, delta = out.stdout.split()
    assert version == PROJECT["version"]
    assert float(paper) == 99.45 and abs(float(delta) + 0.45) < 1e-9  # Table 6's MVTec AD average, from the wheel


def test_the_core_alone_trains_predicts_and_exports_and_names_missing_extras(core_venv, tmp_path):
    python, rclib = core_venv / "python", core_venv / "rclib"
    for module in ("seaborn", "papermill", "nbgrader", "submitit", "psutil", "onnxruntime", "pytest"):
        assert _run([python, "-c", f"import {module}"], tmp_path).returncode == 1, f"{module} leaks into the core"
    assert _run([python, "-c", DEMO_FOLDER, tmp_path], tmp_path).returncode == 0
    train = [rclib, "train", "--preset", "ReContrast", "--dataset", "folder", "--data-root", tmp_path / "bricks"]
    train += ["--set", "backbone=efficientnet_lite0", "image_size=64", "iterations=2", "batch_size=4", "eval_every=2"]
    out = _run([*train, "--no-progress", "--out", tmp_path / "run"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout)["threshold"]["pixel"]["value"] > 0
    kinds = sorted((tmp_path / "bricks" / "test").iterdir())
    out = _run([rclib, "predict", "--run", tmp_path / "run", *kinds, "--out", "p", "--no-progress"], tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = (tmp_path / "p" / "predictions.jsonl").read_text().splitlines()
    assert len(lines) == len(list((tmp_path / "bricks" / "test").rglob("*.png")))
    assert all((tmp_path / "p" / f).exists() for f in json.loads(lines[0])["files"].values())
    for fmt, name in (("onnx", "model.onnx"), ("torchscript", "model.torchscript.pt")):
        out = _run([rclib, "export", "--run", tmp_path / "run", "--format", fmt], tmp_path)
        assert out.returncode == 0 and (tmp_path / "run" / name).stat().st_size > 1e6, out.stderr[-3000:]
    needs = (["student"], "notebooks"), (["grid", "--dry-run"], "grid"), (["describe"], "notebooks"), (["book"], "book")
    for argv, extra in needs:
        out = _run([rclib, *argv], tmp_path)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr[-3000:]
        assert out.stderr.endswith(f"pip install 'rclib[{extra}]'\n"), out.stderr


def test_every_requirement_has_a_floor_that_make_floors_installs():
    sys.path.insert(0, str(ROOT / "scripts"))
    from version_floors import floor_pin, floor_pins

    pins = floor_pins(PROJECT)
    every = set(PROJECT["dependencies"]).union(*PROJECT["optional-dependencies"].values())
    assert {_name(p) for p in pins} == {_name(r) for r in every}
    assert all("==" in p and ">" not in p for p in pins)
    assert floor_pin("numpy>=2.0") == "numpy==2.0" and floor_pin("torch==2.14.1") == "torch==2.14.1"
    assert floor_pin("Sphinx_Book.Theme>=1.4") == "sphinx-book-theme==1.4"
    for bad in ("numpy", "numpy>=2,<3", "numpy>=2; python_version<'3.12'", "numpy<3"):
        with pytest.raises(ValueError, match="not NAME>=X"):
            floor_pin(bad)
    with pytest.raises(ValueError, match="two floors"):
        floor_pins({"dependencies": ["numpy>=2.0"], "optional-dependencies": {"x": ["NumPy>=2.1"]}})
    floors = re.search(r"^floors:.*?(?=^\S|\Z)", (ROOT / "Makefile").read_text(), re.M | re.S).group(0)
    assert "scripts/version_floors.py > $(FLOORS)/floors.txt" in floors and "-r $(FLOORS)/floors.txt" in floors
    assert "-m pytest" in floors
