"""The decision threshold: how a trained run turns an image score S^img into "normal" or "anomalous".

The paper reports threshold-free metrics (AUROC, AUPRO) and, for Table 5, F1 at a threshold chosen on the test
set itself (an oracle). A run that is to judge new images needs its threshold fixed before it sees them: from
normal images held out of training (a high quantile of their scores), or from a labelled validation folder
(the F1-optimal threshold there).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .metrics import ArrayLike, f1_threshold

NORMAL_QUANTILE = 0.99


@dataclass(frozen=True)
class Threshold:
    """A decision threshold on S^img and how it was chosen."""

    value: float
    method: str  # "normal-quantile" or "validation-f1"
    images: int  # how many images chose it
    detail: str  # one sentence for humans

    def to_dict(self) -> dict:
        return asdict(self)

    def decide(self, scores: ArrayLike) -> np.ndarray:
        """``True`` where an image is called anomalous (``score >= value``, as Table 5's F1 rule)."""
        return np.asarray(scores) >= self.value


def normal_quantile_threshold(normal_scores: ArrayLike, quantile: float = NORMAL_QUANTILE) -> Threshold:
    """The ``quantile`` of held-out normal images' scores: about ``1 - quantile`` of normal images are
    flagged (with few images, the quantile is interpolated between the highest scores)."""
    scores = np.asarray(normal_scores, dtype=np.float64).ravel()
    if scores.size == 0:
        raise ValueError("normal_quantile_threshold needs at least one held-out normal image")
    value = float(np.quantile(scores, quantile))
    detail = f"{quantile:.0%} quantile of the scores of {scores.size} normal training images held out of training"
    return Threshold(value, "normal-quantile", int(scores.size), detail)


def validation_threshold(scores: ArrayLike, labels: ArrayLike) -> Threshold:
    """The F1-optimal threshold on a labelled validation set (never the test set)."""
    value = f1_threshold(scores, labels)
    n = int(np.asarray(labels).size)
    return Threshold(value, "validation-f1", n, f"F1-optimal threshold on {n} labelled validation images")
