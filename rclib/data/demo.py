"""The embedded demo data set: real photographs with synthetic defects, in the MVTec AD folder layout.

scikit-image ships real texture photographs (``brick``, ``grass``, ``gravel``; 512 x 512, greyscale). Each
becomes one category: normal training crops come from two diagonal quarters of the photo, test crops from the
other two (``layout="quadrants"``: both cover the top and the bottom of the photo; the first demo's ``"strip"``
took training crops from the top and test crops from the bottom). Besides ``n_test_good`` normal test crops,
``n_per_defect`` crops per defect kind receive one synthetic defect (scratch, crack, stain, hole, or foreign
texture pasted from another photo) with its exact pixel mask: by default half of the test set is defective.
Everything is drawn from a seeded generator, so the same arguments write the same bytes on every machine.

The normal images are real; the defects are synthetic. They are deliberately subtle (low contrast, a few
percent of the crop, foreign texture matched in brightness and contrast) so that an untrained model does
not score near 100 I-AUROC. The brightness changes of scratches, cracks and stains were tuned on brick; on a
busier texture they are scaled by its :func:`texture_contrast` relative to brick's (computed; about 2.3 for grass
and 2.1 for gravel), without which they are invisible even to a person on grass or gravel.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy.ndimage import uniform_filter
from skimage import data as skdata

from .fingerprint import data_fingerprint

SOURCES: dict[str, Callable[[], np.ndarray]] = {"brick": skdata.brick, "grass": skdata.grass, "gravel": skdata.gravel}
DEFECTS = ("scratch", "crack", "stain", "hole", "foreign")
LAYOUTS = ("quadrants", "strip")
PHOTO_SIZE = 512  # side of the scikit-image texture photographs
STRIP_GAP = 8  # rows left out between the training region and the test strip
MIN_BRIGHTNESS = 0.1  # darkening defects keep at least this fraction of the pixels' brightness


@dataclass(frozen=True)
class DemoSpec:
    """Parameters of the demo data; a change to any field the layout uses gives a different data set (and a
    different fingerprint)."""

    size: int = 128  # side of the saved crops, in pixels
    n_train: int = 60
    n_test_good: int = 50
    n_per_defect: int = 10  # per defect kind: 50 defective test images, as many as normal ones
    layout: str = "quadrants"  # where train and test crops come from: "quadrants" or "strip" (see regions())
    train_rows: float = 0.6  # "strip" only: top fraction of the photo used for training crops; the test strip is below
    contrast: float = 1.0  # scales every defect's intensity change
    # per category, a factor on the defects' strength: their intensity change times it, their size times its
    # square root; chosen on Config B's runs alone (benchmarks/calibrate_demo.py), none: 1
    strength: tuple[tuple[str, float], ...] = ()
    texture_gain: bool = True  # brighten/darken by the texture's contrast relative to brick's (see write_demo_data)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"demo layout={self.layout!r}: expected one of {', '.join(LAYOUTS)}")
        if not 0.2 <= self.train_rows <= 0.8:
            raise ValueError(f"demo train_rows={self.train_rows}: expected 0.2..0.8 of the photo's height")
        largest = min(min(bottom - top, right - left) for top, bottom, left, right in sum(regions(self), []))
        if not 32 <= self.size <= largest:
            raise ValueError(
                f"demo size={self.size}: expected 32..{largest} px "
                f"(the smallest train or test region of the 512 px photos in layout {self.layout!r})"
            )
        for name in ("n_train", "n_test_good", "n_per_defect"):
            if getattr(self, name) < 1:
                raise ValueError(f"demo {name}={getattr(self, name)}: expected a positive integer")
        for category, factor in self.strength:
            if category not in SOURCES or not factor > 0:
                raise ValueError(
                    f"demo strength ({category!r}, {factor}): expected (category, factor > 0) with category one of "
                    f"{', '.join(SOURCES)}"
                )


Region = tuple[int, int, int, int]  # rows [top, bottom) and columns [left, right) of a photo


def regions(spec: DemoSpec) -> tuple[list[Region], list[Region]]:
    """``(train regions, test regions)``: disjoint rectangles of the photo that crops are drawn from."""
    if spec.layout == "strip":
        split = int(PHOTO_SIZE * spec.train_rows)
        return [(0, split, 0, PHOTO_SIZE)], [(split + STRIP_GAP, PHOTO_SIZE, 0, PHOTO_SIZE)]
    half = PHOTO_SIZE // 2
    top_left, bottom_right = (0, half, 0, half), (half, PHOTO_SIZE, half, PHOTO_SIZE)
    top_right, bottom_left = (0, half, half, PHOTO_SIZE), (half, PHOTO_SIZE, 0, half)
    return [top_left, bottom_right], [top_right, bottom_left]


def _crop(photo: np.ndarray, where: list[Region], size: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``size`` crop inside one of the regions ``where``, mirrored left-right half of the time (one
    region draws no region index, so that the ``"strip"`` layout writes the first demo's bytes)."""
    top, bottom, left, right = where[int(rng.integers(len(where)))] if len(where) > 1 else where[0]
    y = int(rng.integers(top, bottom - size + 1))
    x = int(rng.integers(left, right - size + 1))
    crop = photo[y : y + size, x : x + size]
    return crop[:, ::-1].copy() if rng.random() < 0.5 else crop.copy()


def _draw(size: int, paint: Callable[[ImageDraw.ImageDraw, int], None], supersample: int = 4) -> np.ndarray:
    """Rasterise a shape at ``supersample`` x resolution and average down: an anti-aliased coverage map."""
    big = Image.new("L", (size * supersample, size * supersample), 0)
    paint(ImageDraw.Draw(big), supersample)
    return np.asarray(big, dtype=np.float64).reshape(size, supersample, size, supersample).mean((1, 3)) / 255.0


def _curve(rng: np.random.Generator, size: int, jagged: bool, scale: float = 1.0) -> list[tuple[float, float]]:
    length = rng.uniform(0.3, 0.6) * size * scale
    angle = rng.uniform(0, np.pi)
    cx, cy = rng.uniform(0.3, 0.7, size=2) * size
    t = np.linspace(-0.5, 0.5, 24)
    bend = rng.uniform(-0.25, 0.25) * length
    xs = cx + t * length * np.cos(angle) - (4 * t**2 - 1) * bend * np.sin(angle)
    ys = cy + t * length * np.sin(angle) + (4 * t**2 - 1) * bend * np.cos(angle)
    if jagged:
        xs, ys = xs + rng.normal(0, 1.2, t.size), ys + rng.normal(0, 1.2, t.size)
    return list(zip(xs, ys, strict=True))


def _ellipse_mask(
    rng: np.random.Generator, size: int, r_range: tuple[float, float], *, soft: float, scale: float = 1.0
) -> np.ndarray:
    """A wobbly ellipse's coverage with an edge ``soft`` pixels wide; coverage >= 0.5 exactly inside it. ``scale``
    multiplies its radii."""
    rx, ry = rng.uniform(*r_range, size=2) * size * scale
    cx, cy = rng.uniform(0.3, 0.7, size=2) * size
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    angle = rng.uniform(0, np.pi)
    u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
    v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
    wobble = 1 + 0.15 * np.sin(3 * np.arctan2(v, u) + rng.uniform(0, 2 * np.pi))
    r = np.sqrt((u / rx) ** 2 + (v / ry) ** 2) / wobble
    return np.clip((1 - r) * np.sqrt(rx * ry) / soft + 0.5, 0, 1)


def texture_contrast(photo: np.ndarray, window: int = 9) -> float:
    """How busy a texture is: the mean standard deviation of its grey levels in ``window`` x ``window`` patches."""
    mean = uniform_filter(photo, window)
    return float(np.sqrt(np.maximum(uniform_filter(photo * photo, window) - mean * mean, 0)).mean())


def make_defect(
    img: np.ndarray,
    kind: str,
    rng: np.random.Generator,
    donor: np.ndarray,
    *,
    contrast: float,
    gain: float = 1.0,
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply one defect to a greyscale crop in [0, 1]; returns ``(defective image, coverage alpha)``.

    ``contrast`` scales every defect's intensity change (a hole or a foreign patch replaces the texture at most
    fully: their change stops at ``contrast`` 1); ``gain`` scales only the brightness changes (scratch, crack,
    stain), so that they stand out as much against a busy texture as against the one they were tuned on; ``scale``
    multiplies every defect's size (lengths, widths, radii).
    """
    size = img.shape[0]
    full = min(contrast, 1.0)
    if kind == "scratch":
        pts = _curve(rng, size, jagged=False, scale=scale)
        width = rng.uniform(1.2, 2.0) * scale
        alpha = _draw(size, lambda d, s: d.line([(x * s, y * s) for x, y in pts], fill=255, width=int(width * s)))
        target = np.clip(img + 0.22 * contrast * gain, 0, 1)
    elif kind == "crack":
        pts = _curve(rng, size, jagged=True, scale=scale)
        alpha = _draw(size, lambda d, s: d.line([(x * s, y * s) for x, y in pts], fill=255, width=int(1.5 * scale * s)))
        target = img * max(1 - 0.45 * contrast * gain, MIN_BRIGHTNESS)
    elif kind == "stain":
        alpha = _ellipse_mask(rng, size, (0.08, 0.16), soft=2.0, scale=scale)
        target = img * max(1 - 0.22 * contrast * gain, MIN_BRIGHTNESS)
    elif kind == "hole":
        alpha = _ellipse_mask(rng, size, (0.04, 0.07), soft=1.0, scale=scale)
        target = np.full_like(img, 0.12) * full + img * (1 - full)
    elif kind == "foreign":
        alpha = _ellipse_mask(rng, size, (0.09, 0.15), soft=1.5, scale=scale)
        patch = donor.astype(np.float64)
        # match brightness and contrast to the host crop: only the texture differs
        patch = (patch - patch.mean()) / (patch.std() + 1e-6) * img.std() + img.mean()
        target = img + full * (np.clip(patch, 0, 1) - img)
    else:
        raise ValueError(f"unknown defect kind {kind!r}; valid: {', '.join(DEFECTS)}")
    return img * (1 - alpha) + target * alpha, alpha


def _save(path: Path, grey: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(np.round(grey * 255), 0, 255).astype(np.uint8), mode="L").save(path, optimize=False)


def write_demo_data(out: str | Path, spec: DemoSpec = DemoSpec(), categories: tuple[str, ...] = tuple(SOURCES)) -> Path:
    """Write the demo data set under ``out`` (MVTec layout) and return ``out``. Deterministic in ``spec``.

    A ``demo_spec.json`` beside the categories records the spec and each category's fingerprint.
    """
    out = Path(out)
    unknown = set(categories) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown demo categories {sorted(unknown)}; valid: {', '.join(SOURCES)}")
    photos = {name: fn().astype(np.float64) / 255.0 for name, fn in SOURCES.items()}
    for c_index, category in enumerate(categories):
        rng = np.random.default_rng([spec.seed, c_index])
        photo = photos[category]
        gain = texture_contrast(photo) / texture_contrast(photos["brick"]) if spec.texture_gain else 1.0
        strength = dict(spec.strength).get(category, 1.0)
        train_regions, test_regions = regions(spec)
        base = out / category
        for i in range(spec.n_train):
            _save(base / "train" / "good" / f"{i:03d}.png", _crop(photo, train_regions, spec.size, rng))
        for i in range(spec.n_test_good):
            _save(base / "test" / "good" / f"{i:03d}.png", _crop(photo, test_regions, spec.size, rng))
        donors = [n for n in SOURCES if n != category]
        for kind in DEFECTS:
            for i in range(spec.n_per_defect):
                img = _crop(photo, test_regions, spec.size, rng)
                donor_photo = photos[donors[i % len(donors)]]
                donor = _crop(donor_photo, [(0, PHOTO_SIZE, 0, PHOTO_SIZE)], spec.size, rng)
                defective, alpha = make_defect(
                    img, kind, rng, donor, contrast=spec.contrast * strength, gain=gain, scale=np.sqrt(strength)
                )
                _save(base / "test" / kind / f"{i:03d}.png", defective)
                _save(base / "ground_truth" / kind / f"{i:03d}_mask.png", (alpha >= 0.5).astype(np.float64))
    fingerprints = {c: data_fingerprint(out / c) for c in categories}
    record = {"spec": asdict(spec), "categories": list(categories), "fingerprints": fingerprints}
    (out / "demo_spec.json").write_text(json.dumps(record, indent=1) + "\n")
    return out


def ensure_demo_data(out: str | Path, spec: DemoSpec = DemoSpec()) -> Path:
    """Write the demo data unless ``out`` already holds it for the same ``spec`` (else rewrite it)."""
    out = Path(out)
    meta = out / "demo_spec.json"
    if meta.exists():
        try:
            if json.loads(meta.read_text())["spec"] == json.loads(json.dumps(asdict(spec))):
                return out
        except (ValueError, KeyError):
            pass
    if out.exists():
        for category in SOURCES:
            shutil.rmtree(out / category, ignore_errors=True)
    return write_demo_data(out, spec)


def write_demo_folder(out: str | Path, demo_root: str | Path, category: str = "brick", new_per_kind: int = 1) -> Path:
    """Lay out one demo category as *your own images* would come (:class:`rclib.data.ImageFolders`): normal
    images in ``train/``, ``test/good`` and ``test/<defect>``, **no masks**, and ``new/``: the last
    ``new_per_kind`` test images of every kind (that has more), kept out of ``test/`` to play the images a
    trained run has never seen. Rewritten from ``demo_root/<category>`` every time; returns ``out``."""
    source, out = Path(demo_root) / category, Path(out)
    if not (source / "train" / "good").is_dir():
        raise ValueError(f"'{source}' is not a demo category (expected '{source}/train/good')")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(source / "train" / "good", out / "train")
    (out / "new").mkdir(parents=True)
    for kind in sorted(p for p in (source / "test").iterdir() if p.is_dir()):
        images = sorted(kind.glob("*.png"))
        cut = len(images) - min(new_per_kind, len(images) - 1)  # test/ keeps at least one image of each kind
        keep, new = images[:cut], images[cut:]
        (out / "test" / kind.name).mkdir(parents=True)
        for p in keep:
            shutil.copy(p, out / "test" / kind.name / p.name)
        for p in new:
            shutil.copy(p, out / "new" / f"{kind.name}_{p.name}")
    return out
