"""The numbers the paper reports (``paper_results.csv``, shipped inside the package)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

from ..config import ReContrastConfig

PAPER_CSV = "paper_results.csv"
_A5_BACKBONE = {"resnet18": "ResNet18", "resnet50": "ResNet50", "wide_resnet50_2": "WideResNet50"}


@lru_cache(maxsize=1)
def paper_results() -> pd.DataFrame:
    """All numbers the paper reports: columns table, dataset, category, method, metric, value, std, note."""
    with resources.files(__package__).joinpath(PAPER_CSV).open("r", encoding="utf-8") as f:
        return pd.read_csv(f)


def table_a5_reference(config: ReContrastConfig) -> dict[str, float]:
    """Table A5's row for the config's backbone: RD4AD (single encoder) or ReContrast (contrastive pairs)."""
    if config.backbone not in _A5_BACKBONE:
        return {}
    method = f"{'ReContrast' if config.contrastive_pairs else 'RD4AD'} [{_A5_BACKBONE[config.backbone]}]"
    df = paper_results()
    rows = df[(df.table == "tableA5") & (df.method == method)]
    return dict(zip(rows.metric, rows.value.astype(float), strict=True))


def paper_value(table: str, dataset: str, category: str, *, method: str, metric: str) -> float:
    """One number the paper reports (NaN when it reports none for these keys)."""
    df = paper_results()
    hit = df[
        (df.table == table)
        & (df.dataset == dataset)
        & (df.category == category)
        & (df.method == method)
        & (df.metric == metric)
    ]
    return float(hit.value.iloc[0]) if len(hit) else float("nan")
