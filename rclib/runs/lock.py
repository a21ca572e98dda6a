"""One writer per run folder: a lock file that names its owner (host and process), taken over when that
process is gone (a job killed by ``scancel`` or preempted leaves its lock behind)."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

LOCK = ".lock"


class RunBusy(RuntimeError):
    """Another live process is writing this run folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def lock_owner(folder: Path) -> str | None:
    """``"host pid"`` of the process writing ``folder`` now, or None (no lock, or its owner on this host died)."""
    path = Path(folder) / LOCK
    try:
        owner = path.read_text().strip()
    except FileNotFoundError:
        return None
    host, _, pid = owner.partition(" ")
    if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
        return None
    return owner


@contextlib.contextmanager
def run_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock while the block runs; :class:`RunBusy` if a live process holds it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    me = f"{socket.gethostname()} {os.getpid()}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            owner = lock_owner(folder)
            if owner is not None:
                raise RunBusy(
                    f"run folder '{folder}' is being written by process {owner}; not starting a second writer"
                ) from None
            path.unlink(missing_ok=True)  # a dead owner's lock
            continue
        with os.fdopen(fd, "w") as f:
            f.write(me)
        break
    else:
        raise RunBusy(f"could not take the lock of run folder '{folder}'")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
