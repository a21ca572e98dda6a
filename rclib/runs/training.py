"""The training loop of Appendix C over data sets: a short :func:`train` and its named steps.

:func:`start` builds the model and optimisers (or restores them from a checkpoint), :func:`training_step`
makes one update, :func:`evaluate_now` scores the test set, :func:`save_checkpoint` makes the run resumable and
:func:`finish` writes the finished run. A killed run resumes to the same result.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm  # text bar: no ipywidgets needed, readable in papermill output

from ..config import ReContrastConfig
from ..method.model import ReContrast, build_model
from ..scoring.metrics import feature_diversity
from .checkpoint import CHECKPOINT, TrainingState, check_resumable, read_checkpoint, restore, save_checkpoint
from .evaluation import evaluate_now, is_evaluation
from .frozen import batch_features, frozen_features
from .run import Run, is_finished, load_run, summarise, write_run
from .runtime import resolve_device, reuse_freed_memory, seed_everything

Forward = Callable[[torch.Tensor], tuple[list[torch.Tensor], list[torch.Tensor]]]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


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


def optimizers(model: ReContrast, c: ReContrastConfig) -> list[torch.optim.Optimizer]:
    """Appendix C: AdamW for the bottleneck and decoder (``lr``) and, when trained, the encoder (``encoder_lr``)."""
    groups = model.parameter_groups()
    kw = dict(betas=c.betas, weight_decay=c.weight_decay, eps=c.adam_eps, amsgrad=c.amsgrad)
    if c.fused_optimizer:
        kw["fused"] = True
    opts = [torch.optim.AdamW(groups["new"], lr=c.lr, **kw)]
    if groups["encoder"]:
        opts.append(torch.optim.AdamW(groups["encoder"], lr=c.encoder_lr, **kw))
    return opts


def set_learning_rates(opts: list[torch.optim.Optimizer], c: ReContrastConfig, it: int) -> None:
    """The multi-class recipe's step schedule (``lr_milestone``); constant rates otherwise."""
    factor = c.lr_gamma if c.lr_milestone is not None and it >= int(c.lr_milestone * c.iterations) else 1.0
    for opt, base in zip(opts, (c.lr, c.encoder_lr), strict=False):  # no encoder optimiser when it is frozen
        for g in opt.param_groups:
            g["lr"] = base * factor


def _autocast(c: ReContrastConfig, device: torch.device) -> contextlib.AbstractContextManager:
    if c.amp == "none":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16 if c.amp == "bf16" else torch.float16)


def start(c: ReContrastConfig, checkpoint: Path | None, pretrained: bool, device: torch.device) -> TrainingState:
    """A fresh model and its optimisers, restored from ``checkpoint`` when one is given; moved to ``device``."""
    saved = read_checkpoint(checkpoint) if checkpoint is not None else None
    if saved is not None:
        check_resumable(saved["config"], c, checkpoint)
    model = build_model(c, pretrained=pretrained)
    state = TrainingState(model, optimizers(model, c))
    if saved is not None:
        restore(state, saved)
    model.to(device)
    if c.channels_last:
        model.to(memory_format=torch.channels_last)
    for opt in state.optimizers:  # optimiser state follows the parameters' device
        for opt_state in opt.state.values():
            for k, v in opt_state.items():
                if torch.is_tensor(v) and k != "step":
                    opt_state[k] = v.to(device)
    return state


def training_step(
    state: TrainingState,
    forward: Forward,
    images: torch.Tensor,
    c: ReContrastConfig,
    *,
    scaler: torch.amp.GradScaler,
    device: torch.device,
    label: str = "",
    frozen: list[torch.Tensor] | None = None,
) -> dict[str, float]:
    """One update of every optimiser on one batch; returns the iteration's log row (loss, alpha, feature std).
    ``label`` names the run in error messages; ``frozen`` is the batch's frozen features when they are cached."""
    it, opts = state.iteration, state.optimizers
    set_learning_rates(opts, c, it)
    with _autocast(c, device):
        enc, dec = forward(images, frozen)
        loss = state.model.loss(enc, dec, it)
    if not torch.isfinite(loss):
        raise TrainingDiverged(
            f"non-finite loss ({loss.item()}) at iteration {it} of {label or repr(c.name)}: training stopped, "
            "no metrics were written. Appendix E's options may help: partial_bn=True (batch-variance floor), "
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
    state.iteration += 1
    return {
        "iteration": state.iteration,
        "loss": float(loss.detach()),
        "alpha": state.model.alpha(it),
        **{f"std_stage{k + 1}": feature_diversity(f) for k, f in enumerate(enc[-3:])},
    }


def finish(
    state: TrainingState,
    c: ReContrastConfig,
    *,
    seconds: float,
    out: Path | None,
    pretrained: bool,
    run_info: dict[str, Any],
) -> Run:
    """The run as it stands; a complete run with a folder is written there (see :mod:`rclib.runs.run`)."""
    run = Run(
        config=c,
        metrics=summarise(state.history, state.best, state.last),
        history=pd.DataFrame(state.history),
        steps=pd.DataFrame(state.steps),
        seconds=seconds,
        out=out,
        extra={**run_info, "sessions": state.sessions},
        test_images=state.test_images,
        loaded=state.model,
    )
    if out is not None and state.iteration == c.iterations:
        write_run(run, pretrained)
    return run


def train(
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

    With ``out`` the run writes its folder there, with a resumable checkpoint until it finishes; with
    ``resume=True`` a checkpoint of the same configuration in ``out`` is continued, and a finished run there is
    loaded. ``stop_after`` ends the loop early after that many iterations in total (checkpointed). With
    ``config.reuse_cpu_memory`` a CPU run's loop runs inside :func:`rclib.runs.runtime.reuse_freed_memory`.
    """
    c, info = config, dict(run_info or {})
    out = Path(out) if out is not None else None
    if resume and out is not None and is_finished(out):
        run = load_run(out, c.device)
        check_resumable(run.config.to_dict(), c, out)
        return run
    device = resolve_device(c.device)
    seed_everything(c.seed, c.deterministic)
    checkpoint = out / CHECKPOINT if out is not None else None
    state = start(c, checkpoint if resume and checkpoint.exists() else None, pretrained, device)
    forward = torch.compile(state.model, backend=c.compile_backend) if c.compile else state.model
    scaler = torch.amp.GradScaler(device.type, enabled=c.amp == "fp16" and device.type == "cuda")
    stop = c.iterations if stop_after is None else min(stop_after, c.iterations)
    batches = list(BatchSchedule(len(train_data), c.batch_size, c.drop_last, c.seed).batches(state.iteration, stop))
    loader = DataLoader(
        train_data, batch_sampler=batches, num_workers=c.num_workers, pin_memory=c.pin_memory and device.type == "cuda"
    )
    label = f"preset {c.name!r}" + (f" on {info['category']}" if info.get("category") else "")
    features = frozen_features(state.model, train_data, c, device)
    t0, seconds_before = time.perf_counter(), state.seconds
    state.sessions.append({"start": state.iteration, "stop": state.iteration})
    state.model.train()
    bar = tqdm(total=c.iterations, initial=state.iteration, disable=not progress, desc=c.name, leave=False)
    with reuse_freed_memory(c.reuse_cpu_memory and device.type == "cpu"):
        for index, batch in zip(batches, loader, strict=True):
            images = batch.image.to(device, non_blocking=True)
            if c.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            frozen = batch_features(features, index, c)
            step = training_step(state, forward, images, c, scaler=scaler, device=device, label=label, frozen=frozen)
            state.steps.append(step)
            state.sessions[-1]["stop"] = state.iteration
            bar.update(1)
            bar.set_postfix(loss=f"{state.steps[-1]['loss']:.4f}")
            it = state.iteration
            evaluating = eval_data is not None and (is_evaluation(it, c) or it == c.iterations)
            if evaluating:
                state.history.append(evaluate_now(state, eval_data, c, final=it == c.iterations))
            periodic = c.checkpoint_every and it % c.checkpoint_every == 0
            if checkpoint is not None and (evaluating or periodic or it == stop) and it < c.iterations:
                save_checkpoint(
                    checkpoint, state, c, seconds=seconds_before + time.perf_counter() - t0, pretrained=pretrained
                )
    bar.close()
    return finish(
        state, c, seconds=seconds_before + time.perf_counter() - t0, out=out, pretrained=pretrained, run_info=info
    )
