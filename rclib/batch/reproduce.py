"""Batch execution of every notebook with papermill: continue past failures, summarise, fail loudly."""

from __future__ import annotations

import fnmatch
import logging
import time
from pathlib import Path

import pandas as pd

from ..paper.contact_sheet import contact_sheet


def notebook_paths(notebooks_dir: Path, only: str | None = None) -> list[Path]:
    paths = sorted(p for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if fnmatch.fnmatch(p.stem, only) or fnmatch.fnmatch(p.name, only)]
    return paths


class _KnownParameters(logging.Filter):
    """papermill warns for every parameter that a notebook's parameters cell does not list; rclib's notebooks
    list only ``profile`` there and read the rest through ``setup(globals())``, so those warnings are noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Passed unknown parameter")


logging.getLogger("papermill").addFilter(_KnownParameters())


def run_notebook(path: Path, out: Path, parameters: dict, *, timeout: int) -> tuple[str, str]:
    """Execute one notebook; returns ``(status, error)``. The executed copy stays at ``out`` either way."""
    import papermill as pm

    try:
        pm.execute_notebook(
            str(path),
            str(out),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(path.parent),
            execution_timeout=timeout,
            progress_bar=False,
            log_output=False,
        )
        return "ok", ""
    except pm.PapermillExecutionError as err:
        return "failed", f"{err.ename}: {err.evalue}".splitlines()[0][:300]
    except Exception as err:  # noqa: BLE001 - a kernel crash or timeout must not stop the batch
        return "failed", f"{type(err).__name__}: {err}".splitlines()[0][:300]


def reproduce(
    *,
    profile: str = "demo",
    only: str | None = None,
    notebooks_dir: Path = Path("notebooks"),
    build_dir: Path = Path("build/notebooks"),
    timeout: int = 3600,
    results_root: Path | None = None,
) -> int:
    """Run the notebooks of ``notebooks_dir`` in order with ``profile``; write ``build/notebooks/<profile>/``
    and ``results/<profile>/reproduce_summary.csv``; return 1 if any notebook failed, else 0."""
    notebooks_dir = Path(notebooks_dir).resolve()
    paths = notebook_paths(notebooks_dir, only)
    if not paths:
        raise FileNotFoundError(f"no notebooks matching {only or '*'} in '{notebooks_dir}'")
    out_dir = Path(build_dir) / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    results_root = Path(results_root) if results_root else notebooks_dir.parent / "results"
    rows = []
    for path in paths:
        t0 = time.perf_counter()
        print(f"[{profile}] {path.name} ...", flush=True)
        parameters = {"profile": profile, "progress": False, "interactive": False}
        status, error = run_notebook(path, out_dir / path.name, parameters, timeout=timeout)
        rows.append(
            {"notebook": path.name, "seconds": round(time.perf_counter() - t0, 1), "status": status, "error": error}
        )
        print(f"[{profile}] {path.name}: {status} in {rows[-1]['seconds']} s {error}", flush=True)
    target = results_root / profile / "reproduce_summary.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    summary = pd.DataFrame(rows)
    if only and target.exists():  # a partial rerun updates its rows of the last full summary
        previous = pd.read_csv(target, keep_default_na=False)
        previous = previous[(previous.notebook != "TOTAL") & ~previous.notebook.isin(summary.notebook)]
        summary = pd.concat([previous, summary]).sort_values("notebook")
    total = summary.seconds.sum()
    summary = pd.concat(
        [
            summary,
            pd.DataFrame(
                [
                    {
                        "notebook": "TOTAL",
                        "seconds": round(total, 1),
                        "status": f"{(summary.status == 'ok').sum()}/{len(summary)} ok",
                        "error": "",
                    }
                ]
            ),
        ]
    )
    summary.to_csv(target, index=False)
    print(summary.to_string(index=False))
    sheet = contact_sheet(notebooks_dir.parent / "figures" / profile)  # where the notebooks' figures_root points
    if sheet:
        print(f"contact sheet of the figures: {', '.join(map(str, sheet))}")
    failed = [r["notebook"] for r in rows if r["status"] != "ok"]
    if failed:
        print(f"{len(failed)} of {len(rows)} notebooks failed: {', '.join(failed)} (executed copies in {out_dir})")
        return 1
    print(f"all {len(rows)} notebooks ran; executed copies in {out_dir}, summary in {target}")
    return 0
