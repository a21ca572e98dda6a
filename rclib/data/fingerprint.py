"""A data set's identity: a hash of its files, so that a cached run is never reused on other data."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .folders import DataError

FULL_HASH_LIMIT = 64 * 2**20  # folders up to this size (the demo data) are hashed byte by byte


def data_fingerprint(folder: str | Path) -> str:
    """A fingerprint of every file under ``folder``: relative names and sizes, plus the contents when the
    folder holds at most 64 MiB (so regenerating the demo data with other parameters changes it)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data folder '{folder}' does not exist")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    hash_contents = sum(p.stat().st_size for p in files) <= FULL_HASH_LIMIT
    h = hashlib.sha256()
    for p in files:
        h.update(f"{p.relative_to(folder)}:{p.stat().st_size}\n".encode())
        if hash_contents:
            h.update(p.read_bytes())
    return h.hexdigest()[:16]
