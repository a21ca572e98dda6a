"""Scoring a trained model: S^map and S^img (Sec. 2.1), a faster inference copy, the paper's metrics, and the
evaluation of a test set."""

from .anomaly_map import anomaly_map, gaussian_smooth, image_score, score
from .evaluate import Predictions, compute_metrics, evaluate, predict
from .metrics import aupro, f1_acc, feature_diversity, image_auroc, pixel_auroc

__all__ = [
    "Predictions",
    "anomaly_map",
    "aupro",
    "compute_metrics",
    "evaluate",
    "f1_acc",
    "feature_diversity",
    "gaussian_smooth",
    "image_auroc",
    "image_score",
    "pixel_auroc",
    "predict",
    "score",
]
