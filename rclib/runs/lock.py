"""One writer per run folder: a lock file that names its owner (host, process, Slurm job), taken over atomically
when that owner is gone.

Whether an owner is alive is asked where it can be known: Slurm for a lock taken inside a Slurm job (the job may run
on another node; ``squeue`` says whether it still exists: a job killed by ``scancel`` after KillWait or lost with its
node is gone), the process table for a lock of this host. A lock of another host outside Slurm cannot be checked from
here and counts as alive; the message says which file to remove if that process is gone.

Taking over a dead lock is atomic: the taker first creates ``.lock.takeover`` exclusively (one process wins), checks
that the lock still names the same dead owner, and replaces it with its own in one rename.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

LOCK = ".lock"
TAKEOVER = ".lock.takeover"
STALE_TAKEOVER_S = 60.0  # a takeover file this old was left by a taker that died in the middle of its rename
# the states of a Slurm job that has not ended, as squeue or sacct (through submitit) report them; UNKNOWN is
# submitit's word for a job that sacct has no record of yet (just submitted), which submitit counts as not done
SLURM_ALIVE = (
    *("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED", "STOPPED"),
    *("READY", "PREEMPTED", "UNKNOWN"),
)


class RunBusy(RuntimeError):
    """Another live process is writing this run folder."""


def me() -> dict[str, object]:
    """This process as a lock owner: host, process id and, inside a Slurm job, its id."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "slurm_job": os.environ.get("SLURM_JOB_ID")}


def describe(owner: dict) -> str:
    job = f", Slurm job {owner['slurm_job']}" if owner.get("slurm_job") else ""
    return f"process {owner.get('pid')} on {owner.get('host')}{job}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def slurm_job_alive(job: str) -> bool | None:
    """Whether Slurm still runs (or queues) ``job``; None when Slurm cannot be asked from here."""
    if shutil.which("squeue") is None:
        return None
    proc = subprocess.run(["squeue", "-h", "-j", str(job), "-o", "%T"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return False if "invalid job id" in proc.stderr.lower() else None
    states = proc.stdout.split()
    return any(s in SLURM_ALIVE for s in states)


def owner_alive(owner: dict) -> bool:
    """Whether the owner of a lock is alive, as far as can be known (unknown: alive). A lock of this very Slurm job
    taken by another process was left by an earlier run of it: a job requeued after a time limit or a preemption
    runs again under the same id (one task per job), so that owner is gone."""
    job = owner.get("slurm_job")
    if job and str(job) == os.environ.get("SLURM_JOB_ID"):
        return (owner.get("host"), owner.get("pid")) == (socket.gethostname(), os.getpid())
    if job:
        alive = slurm_job_alive(str(job))
        if alive is not None:
            return alive
    if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
        return _pid_alive(owner["pid"])
    return True


def read_owner(folder: Path) -> dict | None:
    """The owner named by ``folder``'s lock, or None without a lock (an unreadable lock names nobody)."""
    try:
        text = (Path(folder) / LOCK).read_text()
    except FileNotFoundError:
        return None
    try:
        owner = json.loads(text)
    except ValueError:
        host, _, pid = text.strip().partition(" ")  # the plain "host pid" of earlier rclib versions
        owner = {"host": host, "pid": int(pid) if pid.isdigit() else None, "slurm_job": None}
    return owner if isinstance(owner, dict) else {}


def lock_owner(folder: Path) -> str | None:
    """Who writes ``folder`` now ("process 12 on node3, Slurm job 42"), or None (no lock, or its owner is gone)."""
    owner = read_owner(folder)
    return describe(owner) if owner is not None and owner_alive(owner) else None


def _write_new(path: Path, owner: dict) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        json.dump(owner, f)
    return True


def _take_over(folder: Path, dead: dict, owner: dict) -> bool:
    """Replace the lock of the dead owner ``dead`` by ``owner``'s; False if another process got there first."""
    claim = folder / TAKEOVER
    with contextlib.suppress(FileNotFoundError):
        if time.time() - claim.stat().st_mtime > STALE_TAKEOVER_S:
            claim.unlink()
    if not _write_new(claim, owner):
        return False
    try:
        if read_owner(folder) != dead:  # someone replaced it meanwhile
            return False
        staged = folder / f"{LOCK}.{os.getpid()}"
        staged.write_text(json.dumps(owner))
        os.replace(staged, folder / LOCK)
        return True
    finally:
        claim.unlink(missing_ok=True)


def acquire(folder: Path) -> None:
    """Take ``folder``'s lock for this process; :class:`RunBusy` if a live owner holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    mine = me()
    for _ in range(3):
        if _write_new(folder / LOCK, mine):
            return
        owner = read_owner(folder)
        if owner is None:
            continue  # released between the two calls
        if owner_alive(owner):
            raise RunBusy(
                f"run folder '{folder}' is being written by {describe(owner)}; not starting a second writer "
                f"(if that process is gone, remove '{folder / LOCK}')"
            )
        if _take_over(folder, owner, mine):
            return
    raise RunBusy(f"could not take the lock of run folder '{folder}': another process is taking it over")


@contextlib.contextmanager
def run_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock while the block runs; :class:`RunBusy` if a live process holds it."""
    folder = Path(folder)
    acquire(folder)
    try:
        yield
    finally:
        if read_owner(folder) == json.loads(json.dumps(me())):
            (folder / LOCK).unlink(missing_ok=True)
