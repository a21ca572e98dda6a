"""The paper's grid: expanded into jobs, costed, run through submitit (local processes and a real single-node
Slurm cluster), merged with mean and std over seeds, and resumed after a job is killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import require

from rclib.batch.jobs import GridRequest, expand
from rclib.paper.profiles import get_profile

ROOT = Path(__file__).resolve().parent.parent
SLURM_SCRIPT = ROOT / "scripts" / "slurm_local.sh"
SMOKE_GRID = [
    "--profile",
    "smoke",
    "--datasets",
    "demo",
    "--presets",
    "A",
    "B",
    "--categories",
    "brick",
    "--seeds",
    "1",
    "2",
]
# one slower job, checkpointed often, to be killed in the middle
LONG_JOB = [
    "--profile",
    "smoke",
    "--datasets",
    "demo",
    "--presets",
    "ReContrast",
    "--categories",
    "brick",
    "--seeds",
    "5",
]
LONG_JOB += ["--set", "iterations=40", "eval_every=20", "--checkpoint-every", "2"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("PENDING", "running"),
        ("UNKNOWN", "running"),
        ("RUNNING", "running"),
        ("CANCELLED", "failed"),
        ("COMPLETED", "failed"),
        ("FAILED", "failed"),
        ("TIMEOUT", "failed"),
    ],
)
def test_a_slurm_job_reads_as_running_until_it_ends(tmp_path, monkeypatch, state, expected):
    # UNKNOWN is what sacct says of a job submitted a moment ago: it must not read as failed (it did, and the grid
    # exited 1 right after submitting); a job that ended without finishing its run folder has failed
    from types import SimpleNamespace

    from rclib.batch import status

    monkeypatch.setattr(status, "slurm_state", lambda job_id, logs: state)
    job = SimpleNamespace(folder=tmp_path / "run")
    records = pd.DataFrame([{"folder": str(job.folder), "job_id": "7", "executor": "slurm", "logs": str(tmp_path)}])
    assert status.status_of(job, records) == expected
    assert status.status_of(job, records.iloc[:0]) == "missing"


def test_a_job_a_wait_saw_fail_fails_the_grid_while_slurm_still_calls_it_running(tmp_path, monkeypatch, capsys):
    # right after a Slurm job ends, sacct may still say RUNNING: the failure the wait saw must set the exit status
    from types import SimpleNamespace

    from rclib.batch import status, submit
    from rclib.cli.batch import grid_report

    monkeypatch.setattr(status, "slurm_state", lambda job_id, logs: "RUNNING")
    jobs = expand(get_profile("smoke"), _request(tmp_path, {"iterations": 40, "eval_every": 20}))
    logs = tmp_path / "logs"
    submit._record(jobs[0].results, [(jobs[0], SimpleNamespace(job_id="7"))], "slurm", logs)

    def raises() -> None:
        raise RuntimeError("the job died")

    failing = SimpleNamespace(result=raises, paths=SimpleNamespace(stderr=logs / "7_0_log.err"))
    assert grid_report(jobs, as_json=True) == 0  # by its status alone the job is still running
    failed = submit._wait([failing], jobs)
    assert failed == jobs
    capsys.readouterr()
    assert grid_report(jobs, as_json=True, failed=failed) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["failed"]) == 1 and "7_0_log.err" in report["failed"][0]


def test_a_failed_job_is_listed_with_its_log_and_the_others_go_on(tmp_path, capsys):
    from types import SimpleNamespace

    from rclib.batch import submit

    request = GridRequest(datasets=("demo",), presets=("A", "B", "C"), categories=("brick",), seeds=(1,))
    jobs = expand(get_profile("smoke"), request)
    waited = []

    def handle(job_id: str, fails: bool) -> SimpleNamespace:
        def result() -> None:
            waited.append(job_id)
            if fails:
                raise RuntimeError("out of memory")

        return SimpleNamespace(result=result, paths=SimpleNamespace(stderr=tmp_path / f"{job_id}_0_log.err"))

    failed = submit._wait([handle("7", False), handle("8", True), handle("9", False)], jobs)
    assert waited == ["7", "8", "9"]  # the jobs after the failed one were waited for too
    assert failed == [jobs[1]]
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{jobs[1].label}: failed (RuntimeError); log {tmp_path / '8_0_log.err'}"]


def grid_command(args: list[str], workdir: Path) -> list[str]:
    """The command line of ``rclib grid ARGS`` with its data and results under ``workdir``."""
    return [
        sys.executable,
        "-m",
        "rclib",
        "grid",
        *args,
        "--data-dir",
        str(workdir / "data"),
        "--results",
        str(workdir / "results"),
    ]


def rclib(
    args: list[str], workdir: Path, *, timeout: int = 900, env: dict | None = None, rc: int | None = 0
) -> subprocess.CompletedProcess:
    """``rclib grid ARGS`` in ``workdir``, its exit status checked against ``rc`` (None: not checked)."""
    proc = subprocess.run(
        grid_command(args, workdir),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=workdir,
        env={**os.environ, **(env or {})},
    )
    assert rc is None or proc.returncode == rc, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_table_requests_expand_to_shared_jobs(tmp_path):
    paper = get_profile("paper")
    table6 = expand(paper, GridRequest(tables=("table6",), data_dir=tmp_path, results_root=tmp_path))
    assert len(table6) == 9 * 15 and {j.preset for j in table6} == {
        "A",
        "B",
        "B+hm",
        "C",
        "D",
        "C+cp",
        "E-gl",
        "E",
        "ReContrast",
    }
    both = expand(paper, GridRequest(tables=("table1", "table2", "tableA2"), data_dir=tmp_path, results_root=tmp_path))
    assert len(both) == 15 * 3  # Tables 1 and 2 share their runs with Table A2's seed 111
    shared = next(j for j in both if j.seed == 111)
    assert set(shared.needed_by) == {"table1", "table2", "tableA2"}
    assert all(j.folder is None for j in both)  # no data here: nothing can run, and nothing is invented
    with pytest.raises(ValueError, match="unknown table"):
        expand(paper, GridRequest(tables=("table99",)))


def test_dry_run_lists_the_paper_grid_with_its_cost(tmp_path):
    out = rclib(["--profile", "paper", "--tables", "table6", "--dry-run", "--tflops", "10"], tmp_path).stdout
    assert "135 jobs:" in out and "PFLOP" in out and "GPU hours at 10 sustained TFLOP/s" in out
    assert "135 lack their data" in out


def _collected(workdir: Path, args: list[str]) -> pd.DataFrame:
    rclib([*args, "--collect"], workdir)
    return pd.read_csv(workdir / "results" / "smoke" / "tables" / "grid_runs.csv")


def test_local_grid_runs_merges_and_submits_only_what_is_missing(tmp_path):
    out = rclib(SMOKE_GRID, tmp_path).stdout
    assert "4 job(s) submitted to local" in out
    merged = _collected(tmp_path, SMOKE_GRID)
    assert sorted(merged.preset) == ["A", "B"] and (merged["I-AUROC count"] == 2).all()
    assert merged["I-AUROC std"].notna().all()
    assert "0 job(s) submitted" in rclib(SMOKE_GRID, tmp_path).stdout  # a rerun submits nothing
    assert ": failed" not in rclib([*SMOKE_GRID, "--status"], tmp_path).stdout  # no failed job listed; exit 0
    report = json.loads(rclib([*SMOKE_GRID, "--status", "--json"], tmp_path).stdout)
    assert report["jobs"] == 4 and report["failed"] == []
    assert sum(row["done"] for row in report["per_table"].values()) == 4


def _request(workdir: Path, overrides: dict) -> GridRequest:
    """The grid request of LONG_JOB (or TIMED_OUT_JOB) run in ``workdir``."""
    return GridRequest(
        datasets=("demo",),
        presets=("ReContrast",),
        categories=("brick",),
        seeds=(5,),
        data_dir=workdir / "data",
        results_root=workdir / "results",
        overrides=overrides,
    )


def _run_folder(workdir: Path, overrides: dict | None = None) -> Path:
    return expand(get_profile("smoke"), _request(workdir, overrides or {"iterations": 40, "eval_every": 20}))[0].folder


def _wait_for(path: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear within {seconds} s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    """The last metrics of the long job run without interruption (on this machine's local executor)."""
    reference = tmp_path_factory.mktemp("reference")
    rclib(LONG_JOB, reference)
    return json.loads((_run_folder(reference) / "metrics.json").read_text())["last"]


def assert_resumed(folder: Path, uninterrupted: dict) -> None:
    """The run in ``folder`` ended with the uninterrupted run's metrics, in two sessions: the second started at
    the first one's last checkpoint (a resume that retrained from iteration 0 would give the same metrics)."""
    record = json.loads((folder / "metrics.json").read_text())
    first, second = record["sessions"]
    assert 0 < first["stop"] == second["start"] < second["stop"] == record["last"]["iteration"], record["sessions"]
    assert record["last"] == uninterrupted


def test_local_job_killed_mid_run_resumes_to_the_same_metrics(tmp_path, uninterrupted):
    work = tmp_path / "work"
    work.mkdir()
    first = subprocess.Popen(
        grid_command(LONG_JOB, work), cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        folder = _run_folder(work)
        _wait_for(folder / "checkpoint.pt", 300)
        owner = json.loads((folder / ".lock").read_text())["pid"]
        os.kill(int(owner), signal.SIGKILL)  # the job dies without any clean-up
        first.wait(timeout=120)
    finally:
        first.kill()
    assert not (folder / "metrics.json").exists()
    assert "failed" in rclib([*LONG_JOB, "--status"], work, rc=1).stdout  # a failed job: exit status 1
    report = json.loads(rclib([*LONG_JOB, "--status", "--json"], work, rc=1).stdout)
    assert len(report["failed"]) == 1 and "log" in report["failed"][0]
    rclib(LONG_JOB, work)  # submits only the unfinished job, which resumes from its checkpoint
    assert_resumed(folder, uninterrupted)


@pytest.fixture(scope="module")
def slurm():
    """A single-node Slurm cluster (scripts/slurm_local.sh); the tests say why when it cannot start."""
    require(os.geteuid() == 0, "Slurm tests need root to start munged, MariaDB, slurmdbd, slurmctld and slurmd")
    missing = [b for b in ("slurmctld", "slurmd", "slurmdbd", "munged", "mariadbd", "sbatch") if not shutil.which(b)]
    require(
        not missing, f"Slurm tests need {', '.join(missing)}: apt-get install slurm-wlm slurmdbd munge mariadb-server"
    )
    before = running_daemons()
    try:
        proc = subprocess.run(["bash", str(SLURM_SCRIPT), "start"], capture_output=True, text=True, timeout=240)
        require(proc.returncode == 0, f"the local Slurm cluster did not start: {(proc.stderr or proc.stdout)[-500:]}")
        yield {"SLURM_CONF": proc.stdout.strip().split("=", 1)[1]}
    finally:  # every daemon the script started is stopped, whatever happened
        subprocess.run(["bash", str(SLURM_SCRIPT), "stop"], capture_output=True, timeout=120)
    left = running_daemons() - before
    assert not left, f"scripts/slurm_local.sh stop left {sorted(left)} running"


DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")


def running_daemons() -> set[str]:
    """Which of the local cluster's daemons run now."""
    return {d for d in DAEMONS if subprocess.run(["pgrep", "-x", d], capture_output=True).returncode == 0}


def test_slurm_job_array_runs_the_smoke_grid(tmp_path, slurm):
    out = rclib([*SMOKE_GRID, "--executor", "slurm", "--wait"], tmp_path, env=slurm).stdout
    assert "4 job(s) submitted to slurm" in out
    records = pd.read_csv(tmp_path / "results" / "smoke" / "grid" / "submitted.csv")
    assert records.job_id.astype(str).str.contains("_").all()  # one job array: ids ARRAY_TASK
    merged = _collected(tmp_path, SMOKE_GRID)
    assert sorted(merged.preset) == ["A", "B"] and (merged["I-AUROC count"] == 2).all()


def test_slurm_cancelled_job_resumes_to_the_same_metrics(tmp_path, slurm, uninterrupted):
    work = tmp_path / "work"
    work.mkdir()
    rclib([*LONG_JOB, "--executor", "slurm"], work, env=slurm)
    folder = _run_folder(work)
    _wait_for(folder / "checkpoint.pt", 300)
    job_id = str(pd.read_csv(work / "results" / "smoke" / "grid" / "submitted.csv").job_id.iloc[-1])
    subprocess.run(["scancel", job_id], check=True, env={**os.environ, **slurm}, timeout=30)
    deadline = time.monotonic() + 120
    while "failed" not in rclib([*LONG_JOB, "--status"], work, env=slurm, rc=None).stdout:  # CANCELLED in sacct
        assert time.monotonic() < deadline, "the cancelled job never left the queue"
        time.sleep(2)
    assert not (folder / "metrics.json").exists()
    rclib([*LONG_JOB, "--executor", "slurm", "--wait"], work, env=slurm)
    assert_resumed(folder, uninterrupted)


# a job longer than its one-minute Slurm time limit: signalled before the limit, submitit checkpoints it and requeues
# it, and the requeued job resumes from its last checkpoint (up to 10 times on a slow machine). Slurm checks time
# limits every 30 s, so it signals between 30 s and 0 s earlier than asked: with 15 s asked the signal comes 15-45 s
# after the start (with 30 s asked it came 4 s after the start, before submitit could catch it, and the job died)
TIMED_OUT_JOB = [*LONG_JOB[:-5], "--set", "iterations=500", "eval_every=250", "--checkpoint-every", "10"]
TIMED_OUT_OVERRIDES = {"iterations": 500, "eval_every": 250}
ON_SLURM = ["--executor", "slurm", "--time-min", "1", "--signal-delay-s", "15", "--max-timeouts", "10"]


@pytest.fixture(scope="module")
def uninterrupted_long(tmp_path_factory) -> dict:
    """The last metrics of TIMED_OUT_JOB run without interruption, on the local executor: before the Slurm job, not
    beside it (on 2 cores both would slow down, and the Slurm job would time out too often)."""
    reference = tmp_path_factory.mktemp("reference")
    rclib(TIMED_OUT_JOB, reference)
    return json.loads((_run_folder(reference, TIMED_OUT_OVERRIDES) / "metrics.json").read_text())["last"]


def assert_requeued(work: Path, uninterrupted: dict, case: str) -> None:
    """The run of ``work`` was requeued by submitit (its log says the job was ``case``) at least once, each session
    resumed where the one before stopped (none retrained from 0), and it ended with the uninterrupted metrics."""
    record = json.loads((_run_folder(work, TIMED_OUT_OVERRIDES) / "metrics.json").read_text())
    sessions = record["sessions"]
    assert len(sessions) >= 2, f"the job was never requeued: {sessions}"
    assert sessions[0]["start"] == 0 and sessions[-1]["stop"] == TIMED_OUT_OVERRIDES["iterations"], sessions
    resumed = zip(sessions[:-1], sessions[1:], strict=True)
    assert all(a["stop"] == b["start"] > 0 for a, b in resumed), sessions
    logs = "".join(p.read_text() for p in (work / "results" / "smoke" / "grid" / "logs").glob("*_log.*"))
    assert f"this job is {case}" in logs and "Requeued job" in logs  # submitit's own words, not a resubmission
    assert record["last"] == uninterrupted


def test_slurm_job_over_its_time_limit_is_requeued_and_finishes_from_its_checkpoint(
    tmp_path, slurm, uninterrupted_long
):
    rclib([*TIMED_OUT_JOB, *ON_SLURM, "--wait"], tmp_path, env=slurm)
    assert_requeued(tmp_path, uninterrupted_long, "timed-out")


def test_slurm_job_preempted_by_an_urgent_job_is_requeued_and_finishes_from_its_checkpoint(
    tmp_path, slurm, uninterrupted_long
):
    # the cluster preempts: a job of the higher-priority partition "urgent" needs the whole node, so Slurm sends the
    # running job submitit's signal (scripts/slurm_local.sh: preempt_send_user_signal, a grace time), submitit
    # checkpoints and requeues it, the urgent job runs, then the requeued job resumes (its time limit is a day away)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, **slurm}
    cmd = grid_command([*TIMED_OUT_JOB, "--executor", "slurm", "--wait"], work)
    grid = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(_run_folder(work, TIMED_OUT_OVERRIDES) / "checkpoint.pt", 300)
        urgent = ["sbatch", "--parsable", "--partition", "urgent", "--exclusive", "--output", "/dev/null"]
        urgent_id = subprocess.run(
            [*urgent, "--wrap", "sleep 1"], check=True, env=env, capture_output=True, text=True, timeout=30
        ).stdout.strip()
        out, _ = grid.communicate(timeout=600)
    finally:
        grid.kill()
    assert grid.returncode == 0, out[-3000:]
    assert_requeued(work, uninterrupted_long, "preempted")
    states = subprocess.run(
        ["sacct", "-n", "-X", "-j", urgent_id, "-o", "State"], env=env, capture_output=True, text=True, timeout=30
    ).stdout.split()
    assert states == ["COMPLETED"], states  # the urgent job ran
