"""What a run trains on: :class:`RunSpec` (a configuration, a data set, its folder, the categories), the data's
fingerprint computed once and handed on, and the data sets of a spec ("the test set of this configuration")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import ReContrastConfig
from ..data import ImageDataset, category_folder, data_fingerprint, open_dataset


def categories_of(category: str | Sequence[str]) -> tuple[str, ...]:
    return (category,) if isinstance(category, str) else tuple(category)


def category_label(category: str | Sequence[str]) -> str:
    """How a run names its data: the category, or ``a+b+c`` for one model of several categories."""
    return "+".join(categories_of(category))


def fingerprint(dataset: str, data_root: str | Path, category: str | Sequence[str]) -> str:
    """The data fingerprint of ``category`` (of each, joined, for several)."""
    return "-".join(data_fingerprint(category_folder(dataset, data_root, c)) for c in categories_of(category))


@dataclass(frozen=True)
class RunSpec:
    """What one run trains: a configuration on ``category`` (or several, one model for all) of the data set
    ``dataset`` stored under ``data_root``."""

    config: ReContrastConfig
    dataset: str
    data_root: Path
    category: str | tuple[str, ...]
    pretrained: bool = True
    data: str = field(default="", compare=False)  # the data fingerprint, once computed (see :meth:`fingerprinted`)

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_root", Path(self.data_root))
        if not isinstance(self.category, str):
            object.__setattr__(self, "category", tuple(self.category))

    @property
    def label(self) -> str:
        return category_label(self.category)

    def fingerprinted(self) -> RunSpec:
        """The same spec with the data's fingerprint computed (once)."""
        if self.data:
            return self
        return replace(self, data=fingerprint(self.dataset, self.data_root, self.category))


def open_split(spec: RunSpec, split: str = "test", *, category: str | None = None, **options) -> ImageDataset:
    """The ``split`` of the spec's data (of ``category``, default the spec's own) at its configuration's input
    size, crop and mask threshold; ``options`` go to :func:`rclib.data.open_dataset` (``defect_types``, ...)."""
    c = spec.config
    name = category or categories_of(spec.category)[0]
    return open_dataset(
        spec.dataset,
        spec.data_root,
        name,
        split,
        image_size=c.image_size,
        crop_size=c.crop_size,
        mask_threshold=c.mask_threshold,
        **options,
    )
