"""rclib's ReContrast training step beside the official one, in one process, on this machine.

For each setting (ResNet18 at 128 px, batch 8; EfficientNet-Lite0 at the demo's 128 px, batch 8) the official step
(:mod:`official_step`) and rclib's step under each speed switch are timed in turn, round after round, so that load
on the machine falls on all of them alike: the median seconds per iteration of each, its ratio to the official step,
and the GFLOP/s it achieves (counted FLOPs of the step / seconds) beside this machine's matrix-multiply peak,
measured in the same run (fp32 and bf16 ``torch.mm`` of 2048 x 2048 matrices).

    python benchmarks/bench_step.py                  # writes benchmarks/results/step.csv

Switches: ``demo`` is the demo profile's (frozen features computed once); ``demo+channels_last+fused`` adds what the
demo does not adopt because it changes float rounding (channels_last tensors, AdamW's fused kernel); ``demo+bf16`` and
``bf16`` add bf16 autocast to the demo's step and to the plain one (the CPU needs AVX-512 BF16 or AMX for it to pay);
``compile`` is torch.compile of the model's forward, its compile time reported apart.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from official_step import official_step  # noqa: E402

from rclib import build_model, get_preset  # noqa: E402
from rclib.paper.profiles import CPU_OVERRIDES  # noqa: E402
from rclib.runs.checkpoint import TrainingState  # noqa: E402
from rclib.runs.cost import flop_counter  # noqa: E402
from rclib.runs.training import optimizers, training_step  # noqa: E402

OUT = Path(__file__).resolve().parent / "results"
SETTINGS = {"resnet18": (128, 8), "efficientnet_lite0": (128, 8)}
DEMO = {k: v for k, v in CPU_OVERRIDES.items() if k != "reuse_cpu_memory"}  # the demo's switches a step sees
VARIANTS = {
    "fp32": {},
    "demo": DEMO,
    "demo+channels_last+fused": {**DEMO, "channels_last": True, "fused_optimizer": True},
    "demo+bf16": {**DEMO, "amp": "bf16"},
    "bf16": {"amp": "bf16"},
}


def matmul_peak(dtype: torch.dtype, n: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of an n x n matrix product in ``dtype`` (best of ``repeats``)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def rclib_step(config, images: torch.Tensor):
    """A callable making one rclib training step (frozen features of the batch computed once, as in a run)."""
    torch.manual_seed(0)
    model = build_model(config, pretrained=False).train()
    x = images
    if config.channels_last:
        model.to(memory_format=torch.channels_last)
        x = images.contiguous(memory_format=torch.channels_last)
    state = TrainingState(model, optimizers(model, config))
    frozen = None
    if config.cache_frozen_features and model.frozen_part is not None:
        with torch.no_grad():
            frozen = model.frozen_part(x)
    forward = torch.compile(model) if config.compile else model
    scaler = torch.amp.GradScaler("cpu", enabled=False)

    def step() -> None:
        state.iteration = 10  # alpha past its warm-up, as for most of a run
        training_step(state, forward, x, config, scaler=scaler, device=torch.device("cpu"), frozen=frozen)

    return step


def counted_flops(step) -> int:
    """FLOPs of one call of ``step`` (forward and backward, as it runs: cached features are not counted)."""
    counter = flop_counter()
    with counter:
        step()
    return int(counter.get_total_flops())


def time_rounds(steps: dict, rounds: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds per call of each step, measured round-robin."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (minutes of compiling)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    peak = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    rows = []
    for backbone, (size, batch) in SETTINGS.items():
        base = get_preset("ReContrast", backbone=backbone, image_size=size, batch_size=batch, iterations=200)
        images = torch.randn(batch, 3, size, size)
        official, _ = official_step(base)
        steps = {"official": partial(official, images)}
        variants = dict(VARIANTS)
        if args.compile:
            variants["demo+compile"] = {**DEMO, "compile": True}
        compile_seconds = {}
        for name, switches in variants.items():
            t0 = time.perf_counter()
            steps[name] = rclib_step(base.replace(**switches), images)
            if switches.get("compile"):
                steps[name]()
                compile_seconds[name] = time.perf_counter() - t0
        seconds = time_rounds(steps, args.rounds)
        flops = {name: counted_flops(step) for name, step in steps.items() if name != "demo+compile"}
        flops.setdefault("demo+compile", flops["demo"])
        for name, s in seconds.items():
            precision = "bf16" if "bf16" in name else "fp32"
            rows.append(
                {
                    "backbone": backbone,
                    "image_size": size,
                    "batch": batch,
                    "step": name,
                    "s_per_it": round(s, 4),
                    "ratio_to_official": round(s / seconds["official"], 3),
                    "GFLOP_per_it": round(flops[name] / 1e9, 2),
                    "GFLOP_per_s": round(flops[name] / s / 1e9, 1),
                    "matmul_peak_GFLOP_per_s": round(peak[precision], 1),
                    "fraction_of_peak": round(flops[name] / s / 1e9 / peak[precision], 3),
                    "compile_s": round(compile_seconds.get(name, 0.0), 1),
                }
            )
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows).assign(cpu=platform.processor() or platform.machine(), threads=torch.get_num_threads())
    OUT.mkdir(exist_ok=True)
    path = OUT / "step.csv"
    table.to_csv(path, index=False)
    print(table.to_string(index=False))
    print(f"written {path}")


if __name__ == "__main__":
    main()
