"""Configurations: the rows of Table 6 as frozen dataclasses, plus Appendix C's training settings.

A :class:`ReContrastConfig` says everything a run depends on. The nine presets differ only in the five
switches that Table 6 ticks (loss, optimise encoder, stop-gradient, contrastive pairs, hard mining);
everything else comes from Appendix C and the official code (where the two differ, the code is followed).
Engineering fields (:data:`ENGINEERING_FIELDS`) change how a run computes, never what it computes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

BACKBONES = ("wide_resnet50_2", "resnet50", "resnet18", "efficientnet_lite0")

# Appendix C, footnote 3: categories whose trainable-encoder BatchNorm stays in eval mode.
EVAL_BN_CATEGORIES = {
    "mvtec_ad": ("toothbrush", "leather", "grid", "tile", "wood", "screw"),
    "visa": ("cashew", "pcb1"),
    "oct2017": ("*",),
}


@dataclass(frozen=True)
class ReContrastConfig:
    """One training configuration. Field groups: the Table 6 switches, Eq. 5, architecture, optimisation
    (Appendix C), evaluation, Appendix E's optional stability tricks, and engineering switches."""

    name: str = "ReContrast"
    # --- Table 6 switches ------------------------------------------------------------------------------
    loss: Literal["region", "global"] = "global"  # L_region (Eq. 2) or L_global (Eq. 3/4)
    train_encoder: bool = True  # optimise the (domain-specific) encoder
    stop_grad: bool = True  # Eq. 4: sg on the encoder side of the loss
    contrastive_pairs: bool = True  # Config E: frozen + trainable encoder, cross reconstruction
    hard_mining: bool = True  # Eq. 5: L_global-hm
    # --- Eq. 5 ------------------------------------------------------------------------------------------
    alpha_start: float = -3.0
    alpha_end: float = 1.0
    alpha_warmup: float = 0.1  # fraction of the iterations over which alpha rises (0.2 in the stable scripts)
    hm_factor: float = 0.0  # gradient multiplier of easy points (0 = the paper's sg)
    # --- architecture -----------------------------------------------------------------------------------
    backbone: str = "wide_resnet50_2"
    image_size: int = 256
    crop_size: int | None = None  # ISIC2018: resize 256 then centre-crop 224
    decoder_activation: Literal["relu", "gelu"] = "relu"  # GELU in the official multi-class scripts
    # --- optimisation (Appendix C) ----------------------------------------------------------------------
    iterations: int = 2000
    batch_size: int = 16
    lr: float = 2e-3  # new parameters (bottleneck, decoder)
    encoder_lr: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 1e-5
    adam_eps: float = 1e-8
    amsgrad: bool = False
    encoder_bn_train: bool = True  # BN mode of the trainable encoder (eval for the EVAL_BN_CATEGORIES)
    drop_last: bool = False
    lr_milestone: float | None = None  # fraction of training after which lr *= lr_gamma (multi-class: 0.8)
    lr_gamma: float = 0.2
    seed: int = 111
    # --- evaluation -------------------------------------------------------------------------------------
    eval_every: int = 250
    eval_at: tuple[int, ...] = ()  # evaluate at these iterations (and the last) instead of every eval_every
    # evaluations before the last score about this many test images (0: all; rclib.runs.evaluation)
    eval_subset: int = 0
    image_score: Literal["max", "mean", "top1"] = "max"  # S^img: max of S^map (ISIC: mean; top 1% mean)
    smoothing_sigma: float = 4.0
    map_pairs: tuple[int, ...] | None = None  # which (encoder, decoder) pairs make S^map (Table A6)
    mask_threshold: float = 0.0  # mask pixel is anomalous if resized value > threshold (official: > 0)
    aupro_protocol: Literal["per_image", "pooled"] = "per_image"
    # score with a copy whose BatchNorms are folded into the convolutions, in channels_last memory format
    # (rclib.scoring.inference): the same function up to float rounding, and faster (measured by the repository's
    # benchmarks/bench_eval.py);
    # False scores the model as trained, bit-identical to the official protocol
    fast_inference: bool = True
    # --- Appendix E stability tricks --------------------------------------------------------------------
    partial_bn: bool = False  # batch variance floor: min(5e-4, running_var) replaced (official code)
    partial_bn_threshold: float = 5e-4
    adam_reset_every: int = 0  # reset the decoder/bottleneck Adam state every N iterations (0 = never)
    # --- engineering ------------------------------------------------------------------------------------
    device: str = "auto"  # "auto" picks CUDA when present
    amp: Literal["none", "bf16", "fp16"] = "none"
    channels_last: bool = False
    compile: bool = False  # torch.compile the forward pass
    # compute a frozen encoder's features of the training images once per run (rclib.runs.frozen): a step without the
    # frozen encoder's forward pass; the same bits on the CPUs measured (the tests check it on theirs)
    cache_frozen_features: bool = False
    fused_optimizer: bool = False  # AdamW's fused kernel: the same update up to float rounding, one pass per tensor
    compile_backend: str = "inductor"  # torch.compile backend ("aot_eager" checks graph capture without codegen)
    deterministic: bool = True
    num_workers: int = 0
    pin_memory: bool = False
    checkpoint_every: int = 0  # 0: at every evaluation and at the end
    # train on CPU with glibc keeping freed memory for reuse (rclib.runs.runtime.reuse_freed_memory): fewer page
    # faults, the same results, a higher peak RSS for large models (benchmarks/bench_train.py); off by default
    reuse_cpu_memory: bool = False

    def __post_init__(self) -> None:
        _validate(self)

    def replace(self, **overrides: Any) -> ReContrastConfig:
        """A copy with fields changed; unknown fields raise an error listing the valid ones."""
        check_fields(overrides)
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def result_fields(self) -> dict[str, Any]:
        """The fields that decide a run's results: all but :data:`ENGINEERING_FIELDS`. A cached run is keyed by
        them, and a checkpoint resumes only under a configuration with the same values."""
        return {k: v for k, v in self.to_dict().items() if k not in ENGINEERING_FIELDS}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ReContrastConfig:
        check_fields(values)
        values = dict(values)
        for key in ("betas", "map_pairs", "eval_at"):
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        return cls(**values)


# fields that change how a run computes but not what it computes (speed, placement, bookkeeping)
ENGINEERING_FIELDS = frozenset(
    {
        "device",
        "num_workers",
        "pin_memory",
        "checkpoint_every",
        "compile",
        "compile_backend",
        "fast_inference",
        "reuse_cpu_memory",
    }
)


def config_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(ReContrastConfig)]


def check_fields(values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(config_fields()))
    if unknown:
        raise ValueError(f"unknown config field(s) {unknown}; valid fields: {', '.join(config_fields())}")


def _validate(c: ReContrastConfig) -> None:
    def bad(name: str, expected: str) -> None:
        raise ValueError(f"config field {name}={getattr(c, name)!r}: expected {expected}")

    if c.loss not in ("region", "global"):
        bad("loss", "'region' or 'global'")
    if c.backbone not in BACKBONES:
        bad("backbone", f"one of {', '.join(BACKBONES)}")
    if c.contrastive_pairs and not c.train_encoder:
        bad("contrastive_pairs", "False unless train_encoder=True (Config E pairs a trained with a frozen encoder)")
    if c.hard_mining and c.loss != "global":
        bad("hard_mining", "False with loss='region' (Eq. 5 modifies L_global)")
    if not isinstance(c.image_size, int) or c.image_size < 32 or c.image_size % 32:
        bad(
            "image_size",
            "an integer >= 32 divisible by 32 (the encoder's stride-16 stage and the bottleneck's stride 32)",
        )
    if c.crop_size is not None and (c.crop_size % 32 or c.crop_size > c.image_size):
        bad("crop_size", "None or a multiple of 32 no larger than image_size")
    for name in ("iterations", "batch_size", "eval_every"):
        if not isinstance(getattr(c, name), int) or getattr(c, name) < 1:
            bad(name, "a positive integer")
    if any(not isinstance(i, int) or not 0 < i <= c.iterations for i in c.eval_at):
        bad("eval_at", f"iterations between 1 and iterations={c.iterations}")
    if not isinstance(c.eval_subset, int) or c.eval_subset < 0:
        bad("eval_subset", "0 (every test image) or a positive number of test images")
    if c.image_score not in ("max", "mean", "top1"):
        bad("image_score", "'max', 'mean' or 'top1'")
    if c.amp not in ("none", "bf16", "fp16"):
        bad("amp", "'none', 'bf16' or 'fp16'")
    if c.aupro_protocol not in ("per_image", "pooled"):
        bad("aupro_protocol", "'per_image' or 'pooled'")
    if c.decoder_activation not in ("relu", "gelu"):
        bad("decoder_activation", "'relu' or 'gelu'")
    if c.map_pairs is not None and not c.map_pairs:
        bad("map_pairs", "None (all pairs) or a non-empty tuple of pair indices")


_TABLE6 = {
    #  name          loss      train_enc stop_grad cp     hm
    "A": ("region", False, False, False, False),
    "B": ("global", False, False, False, False),
    "B+hm": ("global", False, False, False, True),
    "C": ("global", True, False, False, False),
    "D": ("global", True, True, False, False),
    "C+cp": ("global", True, False, True, False),
    "E-gl": ("region", True, True, True, False),
    "E": ("global", True, True, True, False),
    "ReContrast": ("global", True, True, True, True),
}

PRESETS: dict[str, ReContrastConfig] = {
    name: ReContrastConfig(name=name, loss=loss, train_encoder=enc, stop_grad=sg, contrastive_pairs=cp, hard_mining=hm)
    for name, (loss, enc, sg, cp, hm) in _TABLE6.items()
}

# How each preset is labelled in Table 6 of the paper (and in paper_results.csv).
PAPER_NAMES = {
    "A": "Config.A",
    "B": "Config.B",
    "B+hm": "Config.B+hm",
    "C": "Config.C",
    "D": "Config.D",
    "C+cp": "Config.C+cp",
    "E-gl": "Config.E-gl",
    "E": "Config.E",
    "ReContrast": "Ours",
}


def get_preset(name: str, **overrides: Any) -> ReContrastConfig:
    """The Table 6 preset ``name`` with ``overrides`` applied; unknown names or fields raise ``ValueError``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    return PRESETS[name].replace(**overrides) if overrides else PRESETS[name]


@dataclass(frozen=True)
class DatasetSettings:
    """Per-data-set training and evaluation settings of Appendix C / the official scripts."""

    iterations: int
    batch_size: int
    image_score: str = "max"
    crop_size: int | None = None
    eval_bn_categories: tuple[str, ...] = field(default_factory=tuple)


DATASET_SETTINGS = {
    "mvtec_ad": DatasetSettings(2000, 16, eval_bn_categories=EVAL_BN_CATEGORIES["mvtec_ad"]),
    "mvtec_loco": DatasetSettings(2000, 16),
    "visa": DatasetSettings(3000, 16, eval_bn_categories=EVAL_BN_CATEGORIES["visa"]),
    "aptos": DatasetSettings(1000, 32),
    "oct2017": DatasetSettings(1000, 32, eval_bn_categories=EVAL_BN_CATEGORIES["oct2017"]),
    "isic2018": DatasetSettings(2000, 32, image_score="mean", crop_size=224),
    "demo": DatasetSettings(200, 8),
    "folder": DatasetSettings(2000, 16),  # your own images: MVTec AD's settings
}


def paper_settings(config: ReContrastConfig, dataset: str, category: str) -> ReContrastConfig:
    """``config`` with the paper's settings for ``dataset``/``category`` (iterations, batch, BN mode, score)."""
    if dataset not in DATASET_SETTINGS:
        raise ValueError(f"unknown dataset {dataset!r}; valid: {', '.join(DATASET_SETTINGS)}")
    s = DATASET_SETTINGS[dataset]
    eval_bn = "*" in s.eval_bn_categories or category in s.eval_bn_categories
    return config.replace(
        iterations=s.iterations,
        batch_size=s.batch_size,
        image_score=s.image_score,
        crop_size=s.crop_size,
        encoder_bn_train=not eval_bn,
    )


def unified_settings(config: ReContrastConfig) -> ReContrastConfig:
    """Section 3.3's unified multi-class setting as the official ``*_multiclass.py`` scripts run it."""
    return config.replace(
        iterations=5000,
        batch_size=16,
        encoder_bn_train=False,
        decoder_activation="gelu",
        adam_eps=1e-10,
        amsgrad=True,
        lr_milestone=0.8,
        lr_gamma=0.2,
        eval_every=1000,
        image_score="top1",
        drop_last=True,
        seed=1,
    )


def stable_settings(config: ReContrastConfig) -> ReContrastConfig:
    """Appendix E's stability tricks as ``recontrast_mvtec_stable.py`` uses them (train-mode BN everywhere)."""
    return config.replace(
        partial_bn=True,
        adam_reset_every=500,
        adam_eps=1e-10,
        alpha_warmup=0.2,
        encoder_bn_train=True,
        drop_last=True,
        eval_every=500,
    )
