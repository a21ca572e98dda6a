"""The run lock on a cluster: a dead owner's lock is taken over (on this host by its process id, on another node
through Slurm), a live one is respected, and a takeover is atomic when several processes race for it."""

from __future__ import annotations

import json
import multiprocessing
import os
import socket
import stat
from pathlib import Path

import pytest

from rclib.runs.lock import LOCK, RunBusy, acquire, lock_owner, read_owner, run_lock


def fake_squeue(bin_dir: Path, state: str | None) -> None:
    """An ``squeue`` that reports ``state`` for every job, or says the job id is invalid (the job is gone)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "squeue"
    if state is None:
        body = 'echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1'
    else:
        body = f"echo {state}"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def write_lock(folder: Path, **owner) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LOCK).write_text(json.dumps({"host": "node-42", "pid": 12345, "slurm_job": None, **owner}))


def test_lock_names_host_process_and_slurm_job(tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_JOB_ID", "777")
    with run_lock(tmp_path / "run"):
        owner = read_owner(tmp_path / "run")
        assert owner == {"host": socket.gethostname(), "pid": os.getpid(), "slurm_job": "777"}
    assert not (tmp_path / "run" / LOCK).exists()  # released


def test_a_dead_process_on_this_host_leaves_a_lock_that_is_taken_over(tmp_path, monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    proc = multiprocessing.get_context("fork").Process(target=lambda: None)
    proc.start()
    proc.join()
    write_lock(tmp_path / "run", host=socket.gethostname(), pid=proc.pid)
    assert lock_owner(tmp_path / "run") is None
    with run_lock(tmp_path / "run"):
        assert read_owner(tmp_path / "run")["pid"] == os.getpid()


def test_a_job_killed_on_another_node_is_asked_of_slurm(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    write_lock(tmp_path / "run", slurm_job="999")
    fake_squeue(tmp_path / "bin", "RUNNING")
    assert lock_owner(tmp_path / "run") == "process 12345 on node-42, Slurm job 999"
    with pytest.raises(RunBusy, match="Slurm job 999"):
        acquire(tmp_path / "run")
    fake_squeue(tmp_path / "bin", None)  # scancel'ed after KillWait, or lost with its node: Slurm no longer knows it
    assert lock_owner(tmp_path / "run") is None
    with run_lock(tmp_path / "run"):
        assert read_owner(tmp_path / "run")["pid"] == os.getpid()


def test_a_requeued_job_takes_over_the_lock_its_earlier_run_left(tmp_path, monkeypatch):
    """Requeued after a time limit, a job runs again under its own id, which Slurm reports as RUNNING: the lock
    that job's killed earlier process left must not block it, while a lock of another job still does."""
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SLURM_JOB_ID", "999")
    fake_squeue(tmp_path / "bin", "RUNNING")
    write_lock(tmp_path / "other", slurm_job="998")
    with pytest.raises(RunBusy, match="Slurm job 998"):
        acquire(tmp_path / "other")
    write_lock(tmp_path / "run", slurm_job="999")  # the same job id, another (earlier) process
    assert lock_owner(tmp_path / "run") is None
    with run_lock(tmp_path / "run"):
        assert lock_owner(tmp_path / "run") == f"process {os.getpid()} on {socket.gethostname()}, Slurm job 999"


def test_a_lock_of_another_host_outside_slurm_counts_as_alive_and_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no squeue here either
    write_lock(tmp_path / "run")
    with pytest.raises(RunBusy, match=r"process 12345 on node-42.*remove '.*\.lock'"):
        acquire(tmp_path / "run")


def test_lock_of_an_earlier_version_is_read(tmp_path):
    (tmp_path / LOCK).write_text("node-7 4242")
    assert read_owner(tmp_path) == {"host": "node-7", "pid": 4242, "slurm_job": None}


def _race(folder: str, barrier, won) -> None:
    barrier.wait()
    try:
        acquire(Path(folder))
    except RunBusy:
        return
    won.put(os.getpid())


def test_only_one_of_many_racing_processes_takes_over_a_dead_lock(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    fake_squeue(tmp_path / "bin", None)
    write_lock(tmp_path / "run", slurm_job="999")
    ctx = multiprocessing.get_context("fork")
    barrier, won = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(tmp_path / "run"), barrier, won)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    winners = []
    while not won.empty():
        winners.append(won.get())
    assert len(winners) == 1
    assert read_owner(tmp_path / "run")["pid"] == winners[0]
