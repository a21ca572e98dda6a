"""The quickstart in a real browser: JupyterLab on a free local port (smoke profile), headless Chromium (Debian's,
driven by Playwright) runs every cell; no cell may fail and the anomaly-map figure must render. Every wait is
bounded and the test stops its server."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import require

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = ROOT / "build" / "browser" / "00_quickstart.png"
TOKEN = "rclib-test"

CELLS_DONE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.sessionContext.session) return false;
  const kernel = panel.sessionContext.session.kernel;
  const cells = panel.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code' && cell.sharedModel.getSource().trim() && !cell.executionCount) return false;
  }
  return kernel && kernel.status === 'idle';
}"""
OUTPUTS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code') out.push({source: cell.sharedModel.getSource(), outputs: cell.outputs.toJSON()});
  }
  return out;
}"""


def _code_cell_index(page, n: int) -> int:
    """The notebook index of the ``n``-th code cell."""
    return page.evaluate(
        f"""() => {{
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  let seen = -1;
  for (let i = 0; i < cells.length; i++) {{ if (cells.get(i).type === 'code' && ++seen === {n}) return i; }}
  return 0;
}}"""
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "JupyterLab exited while starting"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not answer at {url} within {seconds} s")


@pytest.fixture()
def lab(tmp_path):
    """JupyterLab serving a copy of the notebooks (the server never writes into the repository)."""
    require(
        CHROMIUM is not None, "no Chromium: apt-get install chromium (the test drives Debian's, not a downloaded one)"
    )
    require(importlib.util.find_spec("playwright") is not None, "pip install playwright (no browser download needed)")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port = _free_port()
    env = {
        **os.environ,
        "RCLIB_PROFILE": "smoke",
        "RCLIB_OFFLINE": "1",
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ip=127.0.0.1",
        f"--ServerApp.token={TOKEN}",
        f"--ServerApp.root_dir={tmp_path / 'notebooks'}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=tmp_path / "notebooks", env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_server(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", proc, 90)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        log.close()


def test_quickstart_runs_in_jupyterlab_in_chromium(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab}/lab/tree/00_quickstart.ipynb?token={TOKEN}", timeout=90_000)
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
                timeout=120_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(CELLS_DONE, timeout=600_000, polling=1000)
            cells = page.evaluate(OUTPUTS)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            gallery = next(i for i, c in enumerate(cells) if "anomaly_gallery(" in c["source"])
            notebook_index = _code_cell_index(page, gallery)
            scroll = f"scrollToItem({notebook_index}, 'auto', 0, 'top-center')"
            page.evaluate(f"() => window.jupyterapp.shell.currentWidget.content.{scroll}")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
        finally:
            browser.close()
    errors = [o for c in cells for o in c["outputs"] if o.get("output_type") == "error"]
    assert not errors, f"a cell failed: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    figures = [o for o in cells[gallery]["outputs"] if "image/png" in o.get("data", {})]
    assert figures, "the anomaly-map figure did not render"
    assert SCREENSHOT.stat().st_size > 10_000
