"""Evaluation speed: rclib's batched path vs a straightforward port of the official protocol, same values.

A realistic test set: 100 images at 256 px, 60 of them with defect masks (the demo photographs at 256 px).
Both paths score the same model; every metric must agree to 1e-4. Prints a table and writes
``benchmarks/results/<machine>_eval_<backbone>.csv``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_eval import reference_evaluate  # noqa: E402

from rclib import build_model, get_preset  # noqa: E402
from rclib.data import DemoSpec, MVTecLayout, write_demo_data  # noqa: E402
from rclib.evaluate import compute_metrics, predict  # noqa: E402
from rclib.metrics import aupro  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--data", type=Path, default=Path("build/bench_eval_data"))
    args = parser.parse_args()
    torch.manual_seed(0)
    # 40 normal + 60 defective test images (12 per defect type)
    write_demo_data(args.data, DemoSpec(size=192, n_train=1, n_test_good=40, n_per_defect=12), categories=("gravel",))
    test = MVTecLayout(args.data, "gravel", "test", image_size=args.size, cache=True)
    _ = [test[i] for i in range(len(test))]  # decode once: both paths start from tensors in memory
    model = build_model(get_preset("ReContrast", backbone=args.backbone, image_size=args.size), pretrained=args.backbone == "efficientnet_lite0").eval()
    n = len(test)

    t0 = time.perf_counter()
    pred = predict(model, test)
    t_score = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = compute_metrics(pred, "per_image")
    t_metrics = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours["AUPRO pooled"] = aupro(pred.maps, pred.masks, "pooled")
    t_pooled = time.perf_counter() - t0

    t0 = time.perf_counter()
    ref = reference_evaluate(model, test)
    t_ref = time.perf_counter() - t0

    # the channels_last switch (a GPU path, also faster on this CPU): same metrics within what float
    # rounding in the convolutions moves
    fast_model = build_model(model.config.replace(channels_last=True), pretrained=False)
    fast_model.load_state_dict(model.state_dict())
    fast_model.to(memory_format=torch.channels_last).eval()
    t0 = time.perf_counter()
    pred_cl = predict(fast_model, test)
    t_cl = time.perf_counter() - t0
    cl = compute_metrics(pred_cl, "per_image")
    cl_diff = max(abs(cl[k] - ref[k]) for k in ref)

    diffs = {k: abs(ours[k] - ref[k]) for k in ref}
    rows = [
        {"path": "rclib: scoring (forward, S^map, smoothing, image score)", "ms_per_image": 1000 * t_score / n},
        {"path": "rclib: metrics (I-AUROC, P-AUROC, AUPRO per-image)", "ms_per_image": 1000 * t_metrics / n},
        {"path": "rclib: AUPRO pooled", "ms_per_image": 1000 * t_pooled / n},
        {"path": "rclib: total", "ms_per_image": 1000 * (t_score + t_metrics + t_pooled) / n},
        {"path": "reference (official protocol, one image at a time)", "ms_per_image": 1000 * t_ref / n},
        {"path": "rclib with channels_last: scoring", "ms_per_image": 1000 * t_cl / n},
    ]
    table = pd.DataFrame(rows).round(2)
    speedup = t_ref / (t_score + t_metrics + t_pooled)
    print(f"{n} images at {args.size} px, {int(test.labels.sum())} with masks; backbone {args.backbone}; torch threads {torch.get_num_threads()}")
    print(table.to_string(index=False))
    print(f"speed-up (reference / rclib incl. pooled AUPRO): {speedup:.1f}x")
    print("metrics rclib:", {k: round(v, 4) for k, v in ours.items()})
    print("metrics ref.: ", {k: round(v, 4) for k, v in ref.items()})
    print("max |difference|:", max(diffs.values()))
    cl_speedup = t_ref / (t_cl + t_metrics + t_pooled)
    print(f"channels_last: speed-up {cl_speedup:.1f}x, max |difference| to the reference {cl_diff:.2e}")
    assert max(diffs.values()) < 1e-4, f"rclib and the reference disagree: {diffs}"
    out = Path(__file__).resolve().parent / "results" / f"{platform.node() or 'machine'}_eval_{args.backbone}.csv"
    table.assign(speedup=round(speedup, 2), max_metric_difference=max(diffs.values())).to_csv(out, index=False)
    print(f"written {out}")


if __name__ == "__main__":
    main()
