"""Install files agree with each other and pin what must be pinned."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ]", req, maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_reqs = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
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


def test_ci_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make reproduce" in readme


WHEEL_CHECK = """
import pandas as pd
import rclib
from rclib.paper.tables import with_paper_column

assert "site-packages" in rclib.__file__, rclib.__file__  # the installed copy, not the source tree
ours = pd.DataFrame({"config": ["ReContrast"], "data": ["mvtec_ad average of 15"], "I-AUROC mean": [99.0]})
table = with_paper_column(ours, "table6", metric_names={"I-AUROC": "I-AUROC_last"}, dataset="mvtec_ad")
print(rclib.__version__, table["I-AUROC paper (MVTec AD average)"].iloc[0], table["I-AUROC difference"].iloc[0])
"""


def test_non_editable_install_builds_a_table(tmp_path):
    """A wheel installed into a fresh venv carries the paper's reference values and its version."""
    import shutil
    import subprocess
    import sys
    import venv

    src = tmp_path / "src"
    shutil.copytree(ROOT / "rclib", src / "rclib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    build = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "-q",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(tmp_path / "dist"),
    ]
    subprocess.run([*build, str(src)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("rclib-*.whl"))
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "rclib_test_deps.pth").write_text(deps + "\n")  # the dependencies, without the editable rclib
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True
    )
    out = subprocess.run([python, "-c", WHEEL_CHECK], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    version, paper, delta = out.stdout.split()
    assert version == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert float(paper) == 99.45 and abs(float(delta) + 0.45) < 1e-9  # Table 6's MVTec AD average, from the wheel
