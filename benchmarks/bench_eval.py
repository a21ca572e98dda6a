"""Evaluation speed: rclib's batched path vs a straightforward port of the official protocol, same values.

A realistic test set: 100 images at 256 px, 60 of them with defect masks (the demo photographs at 256 px).
All paths score the same model. With ``fast_inference=False`` rclib must agree with the reference to 1e-4
percentage points on every metric (in practice: exactly); the default fast path (BatchNorm folded into the
convolutions, channels_last) computes the same function up to float rounding, and its largest metric
difference is reported. The reference's forward passes are also timed alone: no scoring can be faster than
them by more than the model allows. Prints a table and writes ``benchmarks/results/<machine>_eval_<backbone>.csv``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_eval import reference_evaluate, reference_forward  # noqa: E402

from rclib import build_model, get_preset  # noqa: E402
from rclib.data import DemoSpec, open_dataset, write_demo_data  # noqa: E402
from rclib.scoring.evaluate import compute_metrics, predict  # noqa: E402
from rclib.scoring.inference import inference_model  # noqa: E402
from rclib.scoring.metrics import aupro  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--data", type=Path, default=Path("build/bench_eval_data"))
    parser.add_argument("--repeats", type=int, default=3, help="timings are medians over this many runs")
    args = parser.parse_args()
    torch.manual_seed(0)
    # 40 normal + 60 defective test images (12 per defect type)
    write_demo_data(args.data, DemoSpec(size=192, n_train=1, n_test_good=40, n_per_defect=12), categories=("gravel",))
    test = open_dataset("mvtec_ad", args.data, "gravel", "test", image_size=args.size, cache=True)
    _ = [test[i] for i in range(len(test))]  # decode once: both paths start from tensors in memory
    config = get_preset("ReContrast", backbone=args.backbone, image_size=args.size)
    model = build_model(config, pretrained=args.backbone == "efficientnet_lite0").eval()
    exact = build_model(config.replace(fast_inference=False), pretrained=False).eval()
    exact.load_state_dict(model.state_dict())
    n = len(test)

    def timed(fn):
        """The result of ``fn`` and its median time over ``--repeats`` calls, in ms per test image."""
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(1000 * (time.perf_counter() - t0) / n)
        return out, statistics.median(times)

    net = inference_model(model)
    batches = [torch.stack([test[i].image for i in range(s, min(s + 16, n))]) for s in range(0, n, 16)]
    batches = [b.contiguous(memory_format=torch.channels_last) for b in batches]

    def bare_forward() -> None:
        with torch.inference_mode():
            for batch in batches:
                net(batch)

    _, ms_bare = timed(bare_forward)  # the same model, the same images in batches of 16: encoders and decoder only
    pred, ms_score = timed(lambda: predict(model, test))  # default: fast_inference (folded BN, channels_last)
    ours, ms_metrics = timed(lambda: compute_metrics(pred, aupro_protocol="per_image"))
    ours["AUPRO pooled"], ms_pooled = timed(lambda: aupro(pred.maps, pred.masks, "pooled"))
    pred_exact, ms_exact = timed(lambda: predict(exact, test))  # the model as trained, NCHW
    exact_metrics = compute_metrics(pred_exact, aupro_protocol="per_image")
    ref, ms_ref = timed(lambda: reference_evaluate(model, test))
    _, ms_ref_forward = timed(lambda: reference_forward(model, test))

    # like for like: the metrics the reference computes; then everything, pooled AUPRO included
    ms_same, ms_total, ms_exact_same = ms_score + ms_metrics, ms_score + ms_metrics + ms_pooled, ms_exact + ms_metrics
    diff_fast = max(abs(ours[k] - ref[k]) for k in ref)
    diff_exact = max(abs(exact_metrics[k] - ref[k]) for k in ref)
    rows = [
        ("rclib: scoring (fast_inference: folded BN, channels_last)", ms_score),
        ("rclib: metrics (I-AUROC, P-AUROC, AUPRO per-image)", ms_metrics),
        ("rclib: AUPRO pooled", ms_pooled),
        ("rclib: scoring + the reference's metrics", ms_same),
        ("rclib: scoring + all metrics (pooled AUPRO too)", ms_total),
        ("rclib, fast_inference=False: scoring", ms_exact),
        ("rclib, fast_inference=False: scoring + the reference's metrics", ms_exact_same),
        ("reference (official protocol, one image at a time): total", ms_ref),
        ("reference: its forward passes alone", ms_ref_forward),
        ("bare batched forward of the fast model (batches of 16, tensors in memory)", ms_bare),
    ]
    table = pd.DataFrame(rows, columns=["path", "ms_per_image"]).round(2)
    table["speedup_vs_reference"] = (ms_ref / table.ms_per_image).round(2)
    table["max_metric_difference_pp"] = [diff_fast] * 5 + [diff_exact] * 2 + [0.0, float("nan"), float("nan")]
    table["ratio_to_bare_forward"] = (table.ms_per_image / ms_bare).round(2)
    print(
        f"{n} images at {args.size} px, {int(test.labels.sum())} with masks; backbone {args.backbone}; "
        f"torch threads {torch.get_num_threads()}"
    )
    print(table.to_string(index=False))
    print(
        f"speed-up on the reference's work: {ms_ref / ms_same:.2f}x "
        f"(fast_inference=False: {ms_ref / ms_exact_same:.2f}x); "
        f"with pooled AUPRO added on rclib's side only: {ms_ref / ms_total:.2f}x"
    )
    print(f"scoring + all metrics: {ms_total / ms_bare:.2f}x the bare batched forward of the same model")
    print("metrics rclib:        ", {k: round(v, 6) for k, v in ours.items()})
    print("metrics rclib (exact):", {k: round(v, 6) for k, v in exact_metrics.items()})
    print("metrics reference:    ", {k: round(v, 6) for k, v in ref.items()})
    print(f"max |difference| to the reference, percentage points: fast {diff_fast:.2e}, exact {diff_exact:.2e}")
    assert diff_exact < 1e-4, f"rclib (fast_inference=False) and the reference disagree: {exact_metrics} vs {ref}"
    assert diff_fast < 1e-2, f"rclib (fast_inference) and the reference disagree: {ours} vs {ref}"
    out = Path(__file__).resolve().parent / "results" / f"{platform.node() or 'machine'}_eval_{args.backbone}.csv"
    table.to_csv(out, index=False)
    print(f"written {out}")


if __name__ == "__main__":
    main()
