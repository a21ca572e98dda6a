"""Training speed and peak memory per preset, backbone and resolution.

Each configuration runs in its own process (so peak RSS belongs to it): one warm-up iteration, then the
median of ``--iters`` timed iterations (forward, loss, backward, both optimiser steps). Random encoder
weights (timing does not depend on them). Prints a table and writes ``benchmarks/results/<machine>_train.csv``.
"""

from __future__ import annotations

import argparse
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


def one(preset: str, backbone: str, size: int, batch: int, iters: int, device: str) -> dict:
    import torch

    from rclib import build_model, get_preset
    from rclib.train import _optimizers

    config = get_preset(preset, backbone=backbone, image_size=size, batch_size=batch, iterations=1000)
    dev = torch.device(device)
    model = build_model(config, pretrained=False).to(dev).train()
    opts = _optimizers(model, config)
    x = torch.randn(batch, 3, size, size, device=dev)
    times = []
    for i in range(iters + 1):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        enc, dec = model(x)
        loss = model.loss(enc, dec, i)
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss.backward()
        for o in opts:
            o.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - t0)
    peak = torch.cuda.max_memory_allocated() / 2**30 if dev.type == "cuda" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    s = statistics.median(times)
    return {"preset": preset, "backbone": backbone, "image_size": size, "batch": batch, "s_per_it": round(s, 3),
            "it_per_s": round(1 / s, 3), "peak_GiB": round(peak, 2), "device": device}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--iters", type=int, default=3)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument("--backbones", default=",".join(BACKBONES))
    p.add_argument("--sizes", default=",".join(map(str, SIZES)))
    p.add_argument("--presets", default=",".join(PRESETS))
    p.add_argument("--one", nargs=3, metavar=("PRESET", "BACKBONE", "SIZE"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], int(args.one[2]), args.batch, args.iters, args.device)))
        return
    rows = []
    for size in map(int, args.sizes.split(",")):
        for backbone in args.backbones.split(","):
            for preset in args.presets.split(","):
                cmd = [sys.executable, __file__, "--one", preset, backbone, str(size), "--batch", str(args.batch), "--iters", str(args.iters), "--device", args.device]
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode:
                    print(out.stderr[-1000:], file=sys.stderr)
                    continue
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    b = table[table.preset == "B"].set_index(["backbone", "image_size"]).s_per_it
    r = table[table.preset == "ReContrast"].set_index(["backbone", "image_size"]).s_per_it
    ratio = (r / b).round(2).rename("ReContrast/B").reset_index()
    print(table.to_string(index=False))
    print(ratio.to_string(index=False))
    out = Path(__file__).resolve().parent / "results" / f"{platform.node() or 'machine'}_train.csv"
    table.to_csv(out, index=False)
    print(f"written {out}")


if __name__ == "__main__":
    main()
