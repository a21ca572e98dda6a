"""A data set's identity: a hash of its files, so that a cached run is never reused on other data."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from .images import DataError

FULL_HASH_LIMIT = 64 * 2**20  # folders up to this size (the demo data) are hashed byte by byte


def data_fingerprint(folder: str | Path) -> str:
    """A fingerprint of every file under ``folder``: relative names and sizes, plus the contents when the
    folder holds at most 64 MiB (so regenerating the demo data with other parameters changes it). The contents
    are hashed once per process for as long as no file's name, size or modification time changes."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data folder '{folder}' does not exist")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    listing = tuple((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _fingerprint(str(folder.resolve()), listing)


@lru_cache(maxsize=256)
def _fingerprint(folder: str, listing: tuple[tuple[str, int, int], ...]) -> str:
    hash_contents = sum(size for _, size, _ in listing) <= FULL_HASH_LIMIT
    h = hashlib.sha256()
    for name, size, _ in listing:
        h.update(f"{name}:{size}\n".encode())
        if hash_contents:
            h.update((Path(folder) / name).read_bytes())
    return h.hexdigest()[:16]
