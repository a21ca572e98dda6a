"""The decision thresholds: how a trained run turns S^img into "normal" or "anomalous" and S^map into a binary
mask, and the normalised scores in which 0.5 is the decision boundary.

The paper reports threshold-free metrics (AUROC, AUPRO) and, for Table 5, F1 at a threshold chosen on the test
set itself (an oracle). A run that is to judge new images needs both thresholds fixed before it sees them; they
are chosen once, after training, on calibration images the run did not train on (:func:`calibrate_thresholds`):

* **image threshold** (on S^img): the F1-optimal threshold on a labelled validation folder when there is one, else
  the 99% quantile of the scores of held-out normal images (about 1% of normal images are flagged);
* **pixel threshold** (on S^map): the F1-optimal threshold over all pixels of a validation folder that has masks,
  else the 99% quantile of the held-out normal images' *maximum* S^map pixel, so that about 99% of normal images
  get an empty mask. With the paper's image score (the maximum of S^map) this equals the image threshold, and an
  image is called anomalous exactly when its mask is not empty.

Fewer than :data:`FEW_IMAGES` calibration images make a rough threshold (the 99% quantile of a handful of scores
is about their maximum): the calibration then carries a warning. Scores are also reported normalised
(:meth:`Threshold.normalise`): ``0.5`` at the threshold, ``0`` at a typical normal value, clipped to ``[0, 1]``,
as anomalib's min-max normalisation does; raw values are always kept beside them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .metrics import ArrayLike, f1_threshold

NORMAL_QUANTILE = 0.99
FEW_IMAGES = 20  # fewer calibration images than this make a rough threshold: a warning says so
NORMALISATION = (
    "normalised = clip(0.5 + 0.5 * (raw - value) / (value - low), 0, 1) with low = normal (the median of the "
    "calibration's normal values) when it is below value, else 0; 0.5 is the decision boundary"
)


@dataclass(frozen=True)
class Threshold:
    """A decision threshold on one quantity (S^img or S^map pixels), how it was chosen, and ``normal``: the median
    of that quantity over the calibration's normal images (the lower anchor of :meth:`normalise`)."""

    value: float
    method: str  # "normal-quantile", "validation-f1", "normal-max-quantile", "validation-pixel-f1" or "given"
    images: int  # how many images chose it
    detail: str  # one sentence for humans
    normal: float | None = None

    def decide(self, values: ArrayLike) -> np.ndarray:
        """``True`` where a value is called anomalous (``value >= threshold``, as Table 5's F1 rule)."""
        return np.asarray(values) >= self.value

    @property
    def low(self) -> float:
        """The value that normalises to 0: :attr:`normal` when it lies below the threshold, else 0 (the least S^map
        can be: a sum of ``1 - cosine`` terms). The fallback serves thresholds set by one normal image or given by
        hand without a normal statistic."""
        return self.normal if self.normal is not None and self.normal < self.value else 0.0

    def normalise(self, raw: ArrayLike) -> np.ndarray:
        """``clip(0.5 + 0.5 * (raw - value) / (value - low), 0, 1)``: a min-max normalisation between :attr:`low`
        (-> 0) and the threshold (-> 0.5), linear, so that ``2 * value - low`` -> 1; ``>= 0.5`` exactly where
        :meth:`decide` says anomalous. Float32 for maps, float64 for scores."""
        raw = np.asarray(raw)
        span = self.value - self.low
        out = 0.5 + 0.5 * (raw - self.value) / span if span > 0 else np.where(raw >= self.value, 1.0, 0.0)
        return np.clip(out, 0.0, 1.0).astype(raw.dtype if raw.dtype.kind == "f" else np.float64)


@dataclass(frozen=True)
class Calibration:
    """The image and pixel thresholds of a run, as ``threshold.json`` records them (the image threshold's fields at
    the top level, the pixel threshold under ``pixel``), and the warning of a rough calibration."""

    image: Threshold
    pixel: Threshold | None = None
    warning: str = ""

    @property
    def colour_scale(self) -> tuple[float, float]:
        """The overlays' fixed colour range: the pixel threshold's normalised 0 .. 1 (``low`` .. ``2 * value - low``),
        the threshold in the middle of the bar; the same for every image and every prediction of the run."""
        t = self.pixel or self.image
        return t.low, 2 * t.value - t.low

    def to_dict(self) -> dict:
        return {
            **asdict(self.image),
            "pixel": asdict(self.pixel) if self.pixel is not None else None,
            "colour_scale": list(self.colour_scale),
            "normalisation": NORMALISATION,
            "warning": self.warning,
        }

    @classmethod
    def from_dict(cls, doc: dict) -> Calibration:
        """A ``threshold.json`` record (one written before pixel thresholds existed has no ``pixel``)."""
        names = {f.name for f in fields(Threshold)}
        pixel = doc.get("pixel")
        return cls(
            Threshold(**{k: v for k, v in doc.items() if k in names}),
            Threshold(**pixel) if pixel else None,
            doc.get("warning", ""),
        )

    def given(self, image: float | None = None, pixel: float | None = None) -> Calibration:
        """The same calibration with thresholds given by hand (``None`` keeps the recorded one); their ``normal``
        statistics stay, so normalisation still starts at a typical normal value."""
        return Calibration(_given(self.image, image), _given(self.pixel, pixel) if self.pixel else None, self.warning)


def _given(recorded: Threshold, value: float | None) -> Threshold:
    if value is None:
        return recorded
    return replace(recorded, value=float(value), method="given", images=0, detail="threshold given by the user")


def given_threshold(value: float) -> Threshold:
    """A threshold given by hand for a run that records none."""
    return Threshold(float(value), "given", 0, "threshold given by the user")


def normal_quantile_threshold(normal_scores: ArrayLike, quantile: float = NORMAL_QUANTILE) -> Threshold:
    """The ``quantile`` of held-out normal images' scores: about ``1 - quantile`` of normal images are
    flagged (with few images, the quantile is interpolated between the highest scores)."""
    scores = np.asarray(normal_scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise ValueError("normal_quantile_threshold needs at least one held-out normal image")
    value = float(np.quantile(scores, quantile))
    detail = f"{quantile:.0%} quantile of the scores of {scores.size} normal images the run did not train on"
    return Threshold(value, "normal-quantile", int(scores.size), detail)


def validation_threshold(scores: ArrayLike, labels: ArrayLike) -> Threshold:
    """The F1-optimal threshold on a labelled validation set (never the test set)."""
    value = f1_threshold(scores, labels)
    n = int(np.asarray(labels).size)
    return Threshold(value, "validation-f1", n, f"F1-optimal threshold on {n} labelled validation images")


def normal_max_quantile_threshold(normal_maps: np.ndarray, quantile: float = NORMAL_QUANTILE) -> Threshold:
    """The pixel threshold without masks: the ``quantile`` of the normal images' maximum S^map pixel, so that
    about ``quantile`` of normal images get an empty mask."""
    maxima = normal_maps.reshape(len(normal_maps), -1).max(1).astype(np.float64)
    value = float(np.quantile(maxima, quantile))
    detail = (
        f"{quantile:.0%} quantile of the maximum S^map pixel of {maxima.size} normal images the run did not train "
        "on (no masks to choose it): about 1% of normal images get a non-empty mask"
    )
    return Threshold(value, "normal-max-quantile", int(maxima.size), detail)


def pixel_f1_threshold(maps: np.ndarray, masks: np.ndarray) -> Threshold:
    """The F1-optimal threshold over every pixel of a validation set with masks."""
    value = f1_threshold(maps.ravel(), masks.ravel())
    n = len(maps)
    return Threshold(value, "validation-pixel-f1", n, f"F1-optimal threshold over the pixels of {n} validation images")


def few_images_warning(image: Threshold) -> str:
    """The warning of a threshold chosen by fewer than :data:`FEW_IMAGES` images ("" when there are enough)."""
    if image.images >= FEW_IMAGES:
        return ""
    more = (
        "add labelled images to the validation folder"
        if image.method == "validation-f1"
        else "add a labelled validation folder or more normal training images"
    )
    return (
        f"only {image.images} calibration image(s) chose the decision thresholds (fewer than {FEW_IMAGES}): they are "
        f"rough (a 99% quantile of a few scores is about their maximum); {more}"
    )


def calibrate_thresholds(
    scores: np.ndarray, labels: np.ndarray, maps: np.ndarray, masks: np.ndarray | None = None
) -> Calibration:
    """Both thresholds from calibration images: S^img ``scores`` (N), image ``labels`` (0 normal, 1 anomalous; all 0
    for held-out normal images), S^map ``maps`` (N x H x W) and pixel ``masks`` (N x H x W, or None). The rules are
    the module's; ``normal`` is the median over the normal images (of S^img, and of every S^map pixel)."""
    labels = np.asarray(labels).astype(bool)
    normal = ~labels
    image = validation_threshold(scores, labels) if labels.any() else normal_quantile_threshold(scores)
    has_masks = masks is not None and masks.any()
    pixel = pixel_f1_threshold(maps, masks) if has_masks else normal_max_quantile_threshold(maps[normal])
    image = replace(image, normal=float(np.median(scores[normal])))
    pixel = replace(pixel, normal=float(np.median(maps[normal])))
    return Calibration(image, pixel, few_images_warning(image))
