"""Minutes per paper run on a GPU: the paper profile's step (ReContrast, WideResNet50, 256 px, batch 16) timed
for a few hundred iterations under each speed switch, so that one short run on a lent GPU answers "how long does
a 2,000-iteration run take, and which switches pay".

    python benchmarks/gpu_paper_step.py                       # CUDA; about 8 minutes for 7 settings x 100 steps
    python benchmarks/gpu_paper_step.py --device cpu --iterations 2 --warmup 1   # checks the script runs

Random weights (the timing does not depend on them), synthetic images on the device (data loading is not the
question here). Each setting: ``--warmup`` steps untimed (for ``compile``: its compile time, reported apart), then
``--iterations`` timed steps, synchronised. Writes ``benchmarks/results/paper_step_<device>.csv``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch

from rclib import build_model, get_preset
from rclib.runs.checkpoint import TrainingState
from rclib.runs.training import optimizers, training_step

SETTINGS = {
    "fp32": {},
    "channels_last": {"channels_last": True},
    "bf16": {"amp": "bf16"},
    "bf16+channels_last": {"amp": "bf16", "channels_last": True},
    "bf16+channels_last+frozen+fused": {
        "amp": "bf16",
        "channels_last": True,
        "cache_frozen_features": True,
        "fused_optimizer": True,
    },
    "fp16": {"amp": "fp16", "channels_last": True},
    "compile+bf16+channels_last": {"amp": "bf16", "channels_last": True, "compile": True},
}
PAPER_ITERATIONS = 2000  # MVTec AD, Appendix C


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_setting(name: str, switches: dict, args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    config = get_preset("ReContrast", backbone="wide_resnet50_2", image_size=256, batch_size=16, iterations=2000)
    config = config.replace(device=args.device, **switches)
    torch.manual_seed(0)
    model = build_model(config, pretrained=False).to(device).train()
    images = torch.randn(config.batch_size, 3, 256, 256, device=device)
    if config.channels_last:
        model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    state = TrainingState(model, optimizers(model, config))
    frozen = None
    if config.cache_frozen_features:
        with torch.no_grad():
            frozen = model.frozen_part(images)
    forward = torch.compile(model) if config.compile else model
    scaler = torch.amp.GradScaler(device.type, enabled=config.amp == "fp16" and device.type == "cuda")
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()

    def step() -> None:
        state.iteration = 500  # alpha past its warm-up
        training_step(state, forward, images, config, scaler=scaler, device=device, frozen=frozen)

    t0 = time.perf_counter()
    for _ in range(args.warmup):
        step()
    sync(device)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(args.iterations):
        step()
    sync(device)
    s_per_it = (time.perf_counter() - t0) / args.iterations
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
    return {
        "setting": name,
        "s_per_it": round(s_per_it, 4),
        "minutes_per_paper_run": round(s_per_it * PAPER_ITERATIONS / 60, 2),
        "warmup_s": round(warm, 1),
        "peak_GiB": round(peak, 2),
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--only", nargs="*", help="settings to time (default: all)")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("gpu_paper_step: no CUDA device here (use --device cpu to check the script)")
    rows = []
    for name, switches in SETTINGS.items():
        if args.only and name not in args.only:
            continue
        try:
            rows.append(time_setting(name, switches, args))
        except Exception as err:  # noqa: BLE001 - a switch the device cannot run is reported, the others go on
            rows.append({"setting": name, "error": f"{type(err).__name__}: {err}"[:200]})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    out = Path(__file__).resolve().parent / "results" / f"paper_step_{args.device}.csv"
    table.to_csv(out, index=False)
    print(table.to_string(index=False))
    print(f"written {out}")


if __name__ == "__main__":
    main()
