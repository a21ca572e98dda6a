"""CI cannot turn green by skipping: missing machinery fails under ``CI``, ``.ci/run`` stops when its Debian packages
cannot be installed, and every test has a time limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require

ROOT = Path(__file__).resolve().parent.parent


def _outcome(monkeypatch, ci: str | None) -> tuple[str, str]:
    """What ``require(False, ...)`` raises with ``CI`` set to ``ci`` (None: unset): its kind and its message."""
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    try:
        require(False, "Chromium is missing")
    except BaseException as err:  # noqa: BLE001 - pytest's skip and fail outcomes are BaseExceptions
        return type(err).__name__, str(err)
    return "nothing", ""


def test_require_skips_a_developer_and_fails_ci(monkeypatch):
    require(True, "never said")  # machinery present: nothing happens
    assert _outcome(monkeypatch, None) == ("Skipped", "Chromium is missing")
    assert _outcome(monkeypatch, "true") == ("Failed", "CI: Chromium is missing")


def _fake_bin(folder: Path, apt_status: int) -> Path:
    """A PATH folder whose ``id`` says root, whose ``apt-get`` exits ``apt_status`` and whose ``make`` leaves a mark."""
    folder.mkdir()
    scripts = {"id": "echo 0", "apt-get": f"exit {apt_status}", "make": 'echo "$1" >> "$MAKE_MARK"'}
    for name, body in scripts.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n")
        (folder / name).chmod(0o755)
    return folder


@pytest.mark.parametrize(("apt_status", "rc"), [(100, 1), (0, 0)])
def test_ci_run_stops_with_one_line_when_its_packages_cannot_be_installed(tmp_path, apt_status, rc):
    fake = _fake_bin(tmp_path / "bin", apt_status)
    mark = tmp_path / "make-called"
    env = {**os.environ, "PATH": f"{fake}:/usr/bin:/bin", "MAKE_MARK": str(mark)}
    proc = subprocess.run(["bash", str(ROOT / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == rc, proc.stderr
    if apt_status:
        assert proc.stderr.splitlines() == [
            "CI: apt-get could not install chromium slurm-wlm slurmdbd munge mariadb-server"
        ]
        assert not mark.exists()  # the tests never ran
    else:
        assert mark.read_text().split() == ["test", "floors"]  # the README's test command, then the floors


def test_every_test_has_a_time_limit(request):
    assert request.config.pluginmanager.hasplugin("timeout"), "pytest-timeout is not installed"
    assert float(request.config.getini("timeout")) == 1200  # pyproject.toml: a hung kernel fails after 20 minutes


def _path_without(names: set[str], folder: Path) -> str:
    """A PATH of one folder that links every program on today's PATH except ``names`` (as if never installed)."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for program in Path(directory).glob("*") if Path(directory).is_dir() else ():
            link = folder / program.name
            if program.name not in names and not link.exists() and os.access(program, os.X_OK):
                link.symlink_to(program)
    return str(folder)


@pytest.mark.parametrize(
    ("removed", "test", "line"),
    [
        (
            {"chromium", "chromium-browser"},
            "test_browser.py::test_quickstart_runs_in_jupyterlab_in_chromium",
            "no Chromium",
        ),
        ({"slurmctld", "sbatch"}, "test_grid.py::test_slurm_job_array_runs_the_smoke_grid", "Slurm tests need"),
    ],
    ids=["chromium", "slurm"],
)
def test_ci_fails_with_one_line_when_chromium_or_slurm_is_removed(tmp_path, removed, test, line):
    """The real fixtures, run by pytest under ``CI=true`` on a PATH without the package: a failure, never a skip."""
    env = {**os.environ, "CI": "true", "PATH": _path_without(removed, tmp_path / "bin")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", str(ROOT / "tests" / test)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    summary = [s for s in proc.stdout.splitlines() if s.startswith(("ERROR", "FAILED", "SKIPPED"))]
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert len(summary) == 1 and summary[0].startswith("ERROR") and f"CI: {line}" in summary[0], summary
