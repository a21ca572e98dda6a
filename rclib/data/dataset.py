"""One dataset class for every layout: it reads a table of samples (:mod:`rclib.data.layouts`) and yields a
:class:`Sample` (image, mask, label, path) per row."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .images import ImageTransform, load_mask, load_rgb


class Sample(NamedTuple):
    image: torch.Tensor  # 3 x S x S, ImageNet-normalised
    mask: torch.Tensor  # S x S, bool (all False for normal images and for image-label-only data sets)
    label: int  # 0 normal, 1 anomalous
    path: str


class ImageDataset(Dataset):
    """The samples of ``table`` through ``transform``; ``cache`` keeps decoded samples in memory.
    ``has_masks`` says whether pixel metrics apply (False for image-label-only data sets)."""

    def __init__(self, table: pd.DataFrame, transform: ImageTransform, *, cache: bool = False, has_masks: bool = True):
        self.samples = table.reset_index(drop=True)
        self.transform, self.cache, self.has_masks = transform, cache, has_masks
        self._paths = self.samples.path.tolist()
        self._masks = self.samples.masks.tolist()
        self._labels = self.samples.label.to_numpy(dtype=int)
        self._cache: dict[int, Sample] = {}

    def __len__(self) -> int:
        return len(self._paths)

    @property
    def labels(self) -> np.ndarray:
        return self._labels.copy()

    @property
    def kinds(self) -> list[str]:
        """The defect type of every sample (``good`` for normal images)."""
        return self.samples.kind.tolist()

    def __getitem__(self, index: int) -> Sample:
        if index in self._cache:
            return self._cache[index]
        path = self._paths[index]
        img = load_rgb(path)
        image = self.transform.image(img)
        mask = self.transform.empty_mask()
        for i, mask_path in enumerate(self._masks[index]):
            m = self.transform.mask(load_mask(mask_path, img.size))
            mask = m if i == 0 else mask | m
        sample = Sample(image, mask, int(self._labels[index]), path)
        if self.cache:
            self._cache[index] = sample
        return sample
