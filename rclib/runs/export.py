"""Export a run's scoring as one self-contained graph, ONNX or TorchScript, for a line that runs without rclib.

The graph is the BN-folded inference copy of the model (:func:`rclib.scoring.inference.inference_model`) with its
pre- and postprocessing (:class:`ScoringGraph`):

* **input** ``images``: ``uint8`` RGB, ``N x 3 x S x S`` (NCHW; any ``N``), ``S`` the model's input size
  (``crop_size or image_size``): the image resized to ``image_size x image_size`` with PIL's bilinear filter (as
  :class:`rclib.data.ImageTransform` does), then centre-cropped to ``S`` when the run crops. The ImageNet
  normalisation happens inside the graph (``x / 255``, minus ``mean``, over ``std``), bit for bit as at training.
* **outputs** ``maps``: S^map (``N x S x S`` float32, Gaussian-smoothed as :func:`rclib.scoring.score` does) and
  ``scores``: S^img (``N`` float32).

Metadata travels inside the file (ONNX ``metadata_props``; TorchScript the extra file ``rclib.json``): input size,
resize size, normalisation constants, the input layout, the image and pixel thresholds with their normalisation
(``threshold.json``, :mod:`rclib.scoring.threshold`), the configuration and the rclib version. Outputs equal
:func:`rclib.scoring.score` on the trained model up to float rounding (tested with ONNX Runtime and TorchScript).
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import tempfile
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from ..data.images import IMAGENET_MEAN, IMAGENET_STD
from ..scoring.anomaly_map import anomaly_map, gaussian_smooth_torch, image_score
from ..scoring.inference import inference_model
from .run import EXPORTS, Run
from .runtime import atomic_write

FORMATS = dict(zip(("onnx", "torchscript"), EXPORTS, strict=True))  # the default file in the run folder
EXTRA_FILE = "rclib.json"  # TorchScript: the metadata's extra file


class ScoringGraph(nn.Module):
    """uint8 images ``N x 3 x S x S`` -> ``(S^map N x S x S, S^img N)`` with the model's configuration (map pairs,
    smoothing sigma, image score); BatchNorm folded into the convolutions."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        c = model.config
        self.net = inference_model(model, channels_last=False)
        self.side, self.pairs = c.crop_size or c.image_size, c.map_pairs
        self.sigma, self.reduction = c.smoothing_sigma, c.image_score
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        x = (images.float() / 255.0 - self.mean) / self.std
        enc, dec = self.net(x)
        maps = anomaly_map(enc, dec, self.side, self.pairs)
        if self.sigma > 0:
            maps = gaussian_smooth_torch(maps, self.sigma)
        return maps, image_score(maps, self.reduction)


def metadata(run: Run) -> dict[str, str]:
    """What a deployment needs to feed the graph and read its outputs, as strings (JSON for structures)."""
    c = run.config
    side = c.crop_size or c.image_size
    return {
        "rclib_version": importlib.metadata.version("rclib"),
        "input": f"images: uint8 RGB, N x 3 x {side} x {side} (NCHW); normalised inside the graph",
        "preprocessing": (
            f"resize to {c.image_size}x{c.image_size} (PIL bilinear)"
            + (f", centre-crop to {side}x{side}" if side != c.image_size else "")
        ),
        "image_size": str(c.image_size),
        "input_size": str(side),
        "mean": json.dumps(list(IMAGENET_MEAN)),
        "std": json.dumps(list(IMAGENET_STD)),
        "outputs": (
            f"maps: S^map N x {side} x {side} float32 (smoothed, sigma {c.smoothing_sigma}); "
            f"scores: S^img N float32 ({c.image_score} of the map)"
        ),
        "thresholds": json.dumps(run.extra.get("threshold")),
        "config": json.dumps(c.to_dict()),
    }


def example_input(run: Run, n: int = 2) -> Tensor:
    side = run.config.crop_size or run.config.image_size
    return torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def export_onnx(run: Run, path: Path) -> None:
    """The scoring graph as ONNX (``torch.onnx.export``, dynamic batch size), metadata in ``metadata_props``."""
    graph = ScoringGraph(run.model).cpu().eval()
    batch = torch.export.Dim("batch")
    program = torch.onnx.export(
        graph,
        (example_input(run),),
        input_names=["images"],
        output_names=["maps", "scores"],
        dynamic_shapes={"images": {0: batch}},
        dynamo=True,
        verbose=False,
    )
    program.model.metadata_props.update(metadata(run))
    with tempfile.TemporaryDirectory() as tmp:
        program.save(Path(tmp) / path.name, external_data=False)
        data = (Path(tmp) / path.name).read_bytes()
    atomic_write(path, lambda f: f.write(data))


def export_torchscript(run: Run, path: Path) -> None:
    """The scoring graph traced to TorchScript, metadata in the extra file ``rclib.json`` (read it back with
    ``torch.jit.load(path, _extra_files={"rclib.json": ""})``). TorchScript is deprecated in recent PyTorch; its
    deprecation warning is silenced because the format is asked for by name, and so are the tracer's warnings
    that sizes become constants: the map's size is fixed by the input size, and only the batch size varies (a
    traced graph scores other batch sizes exactly; tested)."""
    graph = ScoringGraph(run.model).cpu().eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*deprecated.*")
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        traced = torch.jit.trace(graph, example_input(run), check_trace=False)
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer, _extra_files={EXTRA_FILE: json.dumps(metadata(run))})
    atomic_write(path, lambda f: f.write(buffer.getbuffer()))


EXPORTERS = {"onnx": export_onnx, "torchscript": export_torchscript}


def export_run(run: Run, fmt: str, out: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Write ``run``'s scoring graph in format ``fmt`` (``onnx`` or ``torchscript``) to ``out`` (default: the run
    folder's ``model.onnx`` / ``model.torchscript.pt``); an existing file is replaced only with ``overwrite``."""
    if fmt not in EXPORTERS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(EXPORTERS)}")
    if out is None and run.out is None:
        raise ValueError("this run has no folder: give the output file (out=...)")
    path = Path(out) if out is not None else Path(run.out) / FORMATS[fmt]
    if path.is_dir():
        raise ValueError(f"'{path}' is a folder: expected the path of the file to write")
    if path.exists() and not overwrite:
        raise ValueError(
            f"'{path}' exists: pass --overwrite to replace it or choose another --out (nothing was written)"
        )
    EXPORTERS[fmt](run, path)
    return path
