"""Training speed and peak memory per preset, backbone and resolution.

Each configuration runs in its own process (so peak RSS belongs to it): two warm-up iterations, then the
median of ``--iters`` timed iterations (forward, loss, backward, both optimiser steps). Random encoder
weights (timing does not depend on them). The first warm-up iteration also counts the step's floating-point
operations (forward and backward, ``torch.utils.flop_counter``), so that the measured ReContrast/B time ratio
can be set beside the ratio of the work itself. With ``--reuse-memory`` training runs inside
``rclib.runs.runtime.reuse_freed_memory``, as :func:`rclib.fit` does with ``reuse_cpu_memory=True`` on CPU; minor
page faults per iteration are reported beside the time. Prints a table and writes
``benchmarks/results/<machine>_train[_channels_last][_reuse].csv``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

PRESETS = ("A", "B", "ReContrast")
BACKBONES = ("resnet18", "wide_resnet50_2", "efficientnet_lite0")
SIZES = (256, 128)
WARMUP = 2  # iterations before timing: the first counts FLOPs, by the second the allocator's heap has grown


def one(
    preset: str,
    backbone: str,
    size: int,
    *,
    batch: int,
    iters: int,
    device: str,
    channels_last: bool,
    reuse_memory: bool,
) -> dict:
    import torch

    from rclib import build_model, get_preset
    from rclib.runs.cost import flop_counter
    from rclib.runs.runtime import reuse_freed_memory
    from rclib.runs.training import optimizers

    config = get_preset(
        preset, backbone=backbone, image_size=size, batch_size=batch, iterations=1000, channels_last=channels_last
    )
    dev = torch.device(device)
    model = build_model(config, pretrained=False).to(dev).train()
    x = torch.randn(batch, 3, size, size, device=dev)
    if channels_last:
        model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opts = optimizers(model, config)
    flops = flop_counter()
    times, faults = [], []
    with reuse_freed_memory(reuse_memory and dev.type == "cpu"):
        for i in range(iters + WARMUP):
            if dev.type == "cuda":
                torch.cuda.synchronize()
            t0, f0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            with flops if i == 0 else contextlib.nullcontext():
                enc, dec = model(x)
                loss = model.loss(enc, dec, i)
                for o in opts:
                    o.zero_grad(set_to_none=True)
                loss.backward()
                for o in opts:
                    o.step()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            if i >= WARMUP:
                times.append(time.perf_counter() - t0)
                faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    peak = (
        torch.cuda.max_memory_allocated() / 2**30
        if dev.type == "cuda"
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    )
    s = statistics.median(times)
    return {
        "preset": preset,
        "backbone": backbone,
        "image_size": size,
        "batch": batch,
        "channels_last": channels_last,
        "reuse_memory": reuse_memory,
        "s_per_it": round(s, 3),
        "it_per_s": round(1 / s, 3),
        "GFLOP_per_it": round(flops.get_total_flops() / 1e9, 1),
        "page_faults_per_it": int(statistics.median(faults)),
        "peak_GiB": round(peak, 2),
        "device": device,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument("--backbones", default=",".join(BACKBONES))
    p.add_argument("--sizes", default=",".join(map(str, SIZES)))
    p.add_argument("--presets", default=",".join(PRESETS))
    p.add_argument("--channels-last", action="store_true", help="model and images in channels_last memory format")
    p.add_argument(
        "--reuse-memory", action="store_true", help="keep freed memory for reuse (config reuse_cpu_memory=True)"
    )
    p.add_argument("--one", nargs=3, metavar=("PRESET", "BACKBONE", "SIZE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(
            json.dumps(
                one(
                    args.one[0],
                    args.one[1],
                    int(args.one[2]),
                    batch=args.batch,
                    iters=args.iters,
                    device=args.device,
                    channels_last=args.channels_last,
                    reuse_memory=args.reuse_memory,
                )
            )
        )
        return
    rows = []
    for size in map(int, args.sizes.split(",")):
        for backbone in args.backbones.split(","):
            for preset in args.presets.split(","):
                cmd = (
                    [
                        sys.executable,
                        __file__,
                        "--one",
                        preset,
                        backbone,
                        str(size),
                        "--batch",
                        str(args.batch),
                        "--iters",
                        str(args.iters),
                        "--device",
                        args.device,
                    ]
                    + ["--channels-last"] * args.channels_last
                    + ["--reuse-memory"] * args.reuse_memory
                )
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode:
                    print(out.stderr[-1000:], file=sys.stderr)
                    continue
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    b = table[table.preset == "B"].set_index(["backbone", "image_size"])
    r = table[table.preset == "ReContrast"].set_index(["backbone", "image_size"])
    ratio = pd.DataFrame(
        {"time ReContrast/B": r.s_per_it / b.s_per_it, "FLOPs ReContrast/B": r.GFLOP_per_it / b.GFLOP_per_it}
    )
    print(table.to_string(index=False))
    print(ratio.round(2).reset_index().to_string(index=False))
    suffix = "_channels_last" * args.channels_last + "_reuse" * args.reuse_memory
    out = Path(__file__).resolve().parent / "results" / f"{platform.node() or 'machine'}_train{suffix}.csv"
    table.to_csv(out, index=False)
    print(f"written {out}")


if __name__ == "__main__":
    main()
