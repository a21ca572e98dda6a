"""The training loop of Appendix C, with evaluation every ``eval_every`` iterations and resumable checkpoints.

A run directory holds ``metrics.json`` (last and best-by-I-AUROC results, config, seconds, versions),
``history.csv`` (one row per evaluation), ``steps.csv`` (loss, alpha and per-stage feature diversity at
every iteration) and ``checkpoint.pt`` (everything needed to continue: model, both optimisers, iteration,
RNG states, history). Checkpoints are written atomically; a killed run resumes to the same result.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm  # text bar: no ipywidgets needed, readable in papermill output

from .config import ReContrastConfig
from .evaluate import evaluate
from .losses import hard_mining_alpha
from .metrics import feature_diversity
from .model import ReContrast, build_model
from .runtime import (atomic_write, atomic_write_text, resolve_device, reuse_freed_memory, rng_state, seed_everything,
                      set_rng_state, versions)

METRICS = ("I-AUROC", "P-AUROC", "AUPRO")
# fields that change how a run computes but not what it computes: a checkpoint may resume under others
ENGINEERING_FIELDS = ("device", "num_workers", "pin_memory", "checkpoint_every", "compile", "compile_backend", "fast_inference", "reuse_cpu_memory")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class CheckpointMismatch(ValueError):
    """A checkpoint belongs to a different configuration than the one asked to resume."""


@dataclass
class Run:
    """A finished (or resumed-and-finished) training run."""

    config: ReContrastConfig
    model: ReContrast
    metrics: dict[str, Any]
    history: pd.DataFrame
    steps: pd.DataFrame
    seconds: float
    out: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def eval_seconds(self) -> float:
        """Time spent evaluating during training (recorded per evaluation in the history)."""
        return float(self.history["eval_seconds"].sum()) if "eval_seconds" in self.history else 0.0

    @property
    def train_seconds_per_iteration(self) -> float:
        """Training cost per iteration, evaluation excluded."""
        return (self.seconds - self.eval_seconds) / max(self.config.iterations, 1)


class BatchSchedule:
    """Which training samples make up batch ``it``: epochs of seeded permutations, repeated until the
    iteration budget is spent. Stateless in ``it``, so a resumed run sees exactly the same batches."""

    def __init__(self, n: int, batch_size: int, drop_last: bool, seed: int) -> None:
        if n == 0:
            raise ValueError("the training set is empty")
        if drop_last and batch_size > n:
            raise ValueError(
                f"batch_size={batch_size} is larger than the training set ({n} images) with drop_last=True: "
                f"no full batch can be formed; lower batch_size to at most {n} or set drop_last=False"
            )
        self.n, self.batch_size, self.drop_last, self.seed = n, batch_size, drop_last, seed
        self.per_epoch = n // batch_size if drop_last else math.ceil(n / batch_size)
        self._perm: tuple[int, list[int]] | None = None

    def batch(self, it: int) -> list[int]:
        epoch, pos = divmod(it, self.per_epoch)
        if self._perm is None or self._perm[0] != epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._perm = (epoch, torch.randperm(self.n, generator=g).tolist())
        return self._perm[1][pos * self.batch_size : (pos + 1) * self.batch_size]

    def batches(self, start: int, stop: int) -> Iterator[list[int]]:
        return (self.batch(it) for it in range(start, stop))


def _optimizers(model: ReContrast, c: ReContrastConfig) -> list[torch.optim.Optimizer]:
    groups = model.parameter_groups()
    kw = dict(betas=c.betas, weight_decay=c.weight_decay, eps=c.adam_eps, amsgrad=c.amsgrad)
    opts = [torch.optim.AdamW(groups["new"], lr=c.lr, **kw)]
    if groups["encoder"]:
        opts.append(torch.optim.AdamW(groups["encoder"], lr=c.encoder_lr, **kw))
    return opts


def _set_lr(opts: list[torch.optim.Optimizer], c: ReContrastConfig, it: int) -> None:
    factor = c.lr_gamma if c.lr_milestone is not None and it >= int(c.lr_milestone * c.iterations) else 1.0
    for opt, base in zip(opts, (c.lr, c.encoder_lr)):
        for g in opt.param_groups:
            g["lr"] = base * factor


def _autocast(c: ReContrastConfig, device: torch.device) -> contextlib.AbstractContextManager:
    if c.amp == "none":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if c.amp == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def comparable(config: ReContrastConfig) -> dict[str, Any]:
    d = config.to_dict()
    for k in ENGINEERING_FIELDS:
        d.pop(k)
    return d


def _check_checkpoint(ckpt: dict[str, Any], config: ReContrastConfig, path: Path) -> None:
    saved = ReContrastConfig.from_dict(ckpt["config"])
    a, b = comparable(saved), comparable(config)
    diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
    if diff:
        shown = ", ".join(f"{k}: checkpoint {v[0]!r} vs requested {v[1]!r}" for k, v in sorted(diff.items()))
        raise CheckpointMismatch(f"checkpoint '{path}' was written for another configuration ({shown}); use another --out folder or drop --resume")


def load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # noqa: BLE001 - any unpickling error means the same thing to the user
        raise CheckpointMismatch(f"cannot read checkpoint '{path}': {type(err).__name__}: {err}") from None


def fit(
    config: ReContrastConfig,
    train_data: Dataset,
    eval_data: Dataset | None = None,
    *,
    out: str | Path | None = None,
    progress: bool = True,
    pretrained: bool = True,
    resume: bool = False,
    run_info: dict[str, Any] | None = None,
    stop_after: int | None = None,
) -> Run:
    """Train ``config`` on ``train_data`` (items are :class:`rclib.data.Sample`), evaluating on ``eval_data``
    every ``config.eval_every`` iterations and at the end.

    With ``out`` the run writes its artefacts there; with ``resume=True`` an existing ``out/checkpoint.pt``
    of the same configuration is continued (or, if finished, simply loaded). ``stop_after`` ends the loop
    early after that many iterations in total (checkpointed), for interruption tests and quick looks.
    With ``config.reuse_cpu_memory`` a CPU run's loop runs inside :func:`rclib.runtime.reuse_freed_memory`
    (faster, more memory, the same results).
    """
    c = config
    out = Path(out) if out is not None else None
    device = resolve_device(c.device)
    seed_everything(c.seed, c.deterministic)
    ckpt_path = out / "checkpoint.pt" if out else None
    ckpt = load_checkpoint(ckpt_path) if resume and ckpt_path is not None and ckpt_path.exists() else None
    if ckpt is not None:
        _check_checkpoint(ckpt, c, ckpt_path)
    model = build_model(c, pretrained=pretrained)
    opts = _optimizers(model, c)
    start, history, steps, seconds_before = 0, [], [], 0.0
    best: dict[str, Any] | None = None
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        for opt, state in zip(opts, ckpt["optimizers"], strict=True):
            opt.load_state_dict(state)
        start, history, steps = ckpt["iteration"], ckpt["history"], ckpt["steps"]
        best, seconds_before = ckpt["best"], ckpt["seconds"]
        set_rng_state(ckpt["rng"])
    model.to(device)
    if c.channels_last:
        model.to(memory_format=torch.channels_last)
    for opt in opts:  # optimiser state follows the parameters' device
        for state in opt.state.values():
            for k, v in state.items():
                if torch.is_tensor(v) and k != "step":
                    state[k] = v.to(device)
    forward = torch.compile(model, backend=c.compile_backend) if c.compile else model
    scaler = torch.amp.GradScaler(device.type, enabled=c.amp == "fp16" and device.type == "cuda")
    schedule = BatchSchedule(len(train_data), c.batch_size, c.drop_last, c.seed)
    stop = c.iterations if stop_after is None else min(stop_after, c.iterations)
    loader = DataLoader(
        train_data,
        batch_sampler=list(schedule.batches(start, stop)),
        num_workers=c.num_workers,
        pin_memory=c.pin_memory and device.type == "cuda",
        persistent_workers=False,
    )
    info = dict(run_info or {})
    t0 = time.perf_counter()
    model.train()
    bar = tqdm(total=c.iterations, initial=start, disable=not progress, desc=f"{c.name}", leave=False)
    it = start
    with reuse_freed_memory(c.reuse_cpu_memory and device.type == "cpu"):
        for batch in loader:
            images = batch.image.to(device, non_blocking=True)
            if c.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            _set_lr(opts, c, it)
            with _autocast(c, device):
                enc, dec = forward(images)
                loss = model.loss(enc, dec, it)
            if not torch.isfinite(loss):
                raise TrainingDiverged(
                    f"non-finite loss ({loss.item()}) at iteration {it} of preset {c.name!r}"
                    f"{' on ' + str(info.get('category')) if info.get('category') else ''}: training stopped, no metrics "
                    "were written. Appendix E's options may help: partial_bn=True (batch-variance floor), "
                    "adam_reset_every=500, or encoder_bn_train=False (eval-mode encoder BatchNorm)."
                )
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            for opt in opts:
                scaler.step(opt)
            scaler.update()
            if c.adam_reset_every and (it + 1) % c.adam_reset_every == 0:
                opts[0].state.clear()
            steps.append(
                {
                    "iteration": it + 1,
                    "loss": float(loss.detach()),
                    "alpha": hard_mining_alpha(it, c.iterations, c.alpha_start, c.alpha_end, c.alpha_warmup) if c.hard_mining else float("nan"),
                    **{f"std_stage{k + 1}": feature_diversity(f) for k, f in enumerate(enc[-3:])},
                }
            )
            it += 1
            bar.update(1)
            bar.set_postfix(loss=f"{steps[-1]['loss']:.4f}")
            evaluating = eval_data is not None and (it % c.eval_every == 0 or it == c.iterations)
            if evaluating:
                row = {"iteration": it, "loss": sum(s["loss"] for s in steps[-c.eval_every :]) / min(len(steps), c.eval_every)}
                row.update({k: v for k, v in steps[-1].items() if k.startswith("std_")})
                t_eval = time.perf_counter()
                row.update(evaluate(model, eval_data))
                row["eval_seconds"] = round(time.perf_counter() - t_eval, 3)
                history.append(row)
                if best is None or row["I-AUROC"] >= best["I-AUROC"]:  # ties go to the later evaluation, as official
                    best = dict(row)
                model.train()
            periodic = c.checkpoint_every and it % c.checkpoint_every == 0
            if out is not None and (evaluating or periodic or it == stop):
                elapsed = seconds_before + time.perf_counter() - t0
                _save_checkpoint(ckpt_path, model, opts, c, it, history, steps, best, elapsed, pretrained)
    bar.close()
    seconds = seconds_before + time.perf_counter() - t0
    run = Run(c, model, _metrics(history, best), pd.DataFrame(history), pd.DataFrame(steps), seconds, out, info)
    if out is not None and it == c.iterations:
        write_run(run, pretrained, info)
    return run


def _metrics(history: list[dict[str, Any]], best: dict[str, Any] | None) -> dict[str, Any]:
    if not history:
        return {"last": {}, "best": {}}
    pick = lambda row: {k: row[k] for k in (*METRICS, "F1", "ACC", "iteration") if k in row}  # noqa: E731
    return {"last": pick(history[-1]), "best": pick(best)}


def _save_checkpoint(path, model, opts, c, it, history, steps, best, seconds, pretrained) -> None:
    state = {
        "model": model.state_dict(),
        "optimizers": [o.state_dict() for o in opts],
        "iteration": it,
        "config": c.to_dict(),
        "history": history,
        "steps": steps,
        "best": best,
        "seconds": seconds,
        "rng": rng_state(),
        "pretrained": pretrained,
        "versions": versions(),
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write(path, lambda f: f.write(buffer.getbuffer()))


def write_run(run: Run, pretrained: bool, info: dict[str, Any]) -> None:
    """Write ``metrics.json``, ``history.csv`` and ``steps.csv`` of a finished run."""
    out = run.out
    doc = {
        **run.metrics,
        "config": run.config.to_dict(),
        "seconds": round(run.seconds, 3),
        "eval_seconds": round(run.eval_seconds, 3),
        "train_seconds_per_iteration": round(run.train_seconds_per_iteration, 4),
        "pretrained": pretrained,
        "versions": versions(),
        **info,
    }
    atomic_write_text(out / "metrics.json", json.dumps(doc, indent=1, default=str) + "\n")
    atomic_write_text(out / "history.csv", run.history.to_csv(index=False))
    atomic_write_text(out / "steps.csv", run.steps.to_csv(index=False))


def load_run(out: str | Path, device: str = "cpu") -> Run:
    """Load a finished run directory (model weights from its checkpoint)."""
    out = Path(out)
    ckpt_path = out / "checkpoint.pt"
    if not (out / "metrics.json").exists() or not ckpt_path.exists():
        raise FileNotFoundError(f"'{out}' is not a finished run directory (needs metrics.json and checkpoint.pt)")
    doc = json.loads((out / "metrics.json").read_text())
    ckpt = load_checkpoint(ckpt_path)
    config = ReContrastConfig.from_dict(ckpt["config"])
    model = build_model(config, pretrained=False)
    model.load_state_dict(ckpt["model"])
    model.to(resolve_device(device)).eval()
    history = pd.DataFrame(ckpt["history"])
    steps = pd.DataFrame(ckpt["steps"])
    extra = {k: v for k, v in doc.items() if k not in ("last", "best", "config")}
    return Run(config, model, {"last": doc["last"], "best": doc["best"]}, history, steps, doc.get("seconds", 0.0), out, extra)
