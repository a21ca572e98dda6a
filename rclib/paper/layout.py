"""Figures fit to print: the layout check, measured with matplotlib's own renderer, captions, and saving both.

:func:`layout_problems` draws a figure at its own size and the resolution it is saved with, and lists what would
spoil the print: two texts (titles, tick labels, axis labels, colour-bar labels, legend entries, annotations)
drawn over each other, a text running off the canvas, a map without a colour bar, a colour scale shared by
several panels with more than one bar, and a colour bar without a label. Binary images (masks) and RGB images
carry no colour scale. A plot function attaches its caption to the figure it returns (:func:`set_caption`);
:func:`savefig` writes the figure at its own size (no tight bounding box: what the check measured is what is
saved, and a text off the canvas is cut off, not silently given more canvas) with its caption and check result.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis, Tick
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

TOLERANCE_PT = 0.5  # boxes may touch by this much (points) before they count as overlapping or cut off
_CAPTION = "rclib_caption"  # the attribute of a Figure that holds its caption


class LayoutError(ValueError):
    """A figure failed the layout check; the message lists every problem."""


def layout_problems(fig: Figure, *, dpi: float | None = None) -> list[str]:
    """Everything that spoils ``fig`` as drawn at its own size and ``dpi`` (default: ``savefig.dpi``), one
    sentence each; an empty list when it is fit to print."""
    shown_dpi, canvas = fig.dpi, fig.canvas
    saved = mpl.rcParams["savefig.dpi"]
    try:
        renderer = _draw(fig, dpi or (shown_dpi if saved == "figure" else saved))
        texts = [(t, t.get_window_extent(renderer)) for t in _drawn_texts(fig)]
        tolerance = TOLERANCE_PT * fig.dpi / 72
        return _overlaps(texts, tolerance) + _cut_off(texts, fig.bbox, tolerance) + _scale_problems(fig)
    finally:
        fig.set_dpi(shown_dpi)
        fig.set_canvas(canvas)


def check_layout(fig: Figure, *, dpi: float | None = None) -> None:
    """Raise :class:`LayoutError` listing the problems of :func:`layout_problems`, if any."""
    problems = layout_problems(fig, dpi=dpi)
    if problems:
        raise LayoutError(f"{len(problems)} layout problem(s):\n" + "\n".join(f"- {p}" for p in problems))


def _draw(fig: Figure, dpi: float) -> RendererBase:
    """Draw ``fig`` at ``dpi`` (running its layout engine) and return the renderer that measured it; a figure
    without an Agg canvas (``Figure()`` outside pyplot) is drawn on one, the caller puts its own canvas back."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    canvas.draw()
    return canvas.get_renderer()


def _drawn_texts(fig: Figure) -> list[Text]:
    """The visible, non-empty texts that the last draw put on the canvas."""
    return [a for a in _visible(fig) if isinstance(a, Text) and a.get_text().strip()]


def _visible(artist: Artist) -> Iterator[Artist]:
    """``artist`` and its visible descendants, leaving out the axes of an Axes drawn without them and the ticks
    that lie outside their axis's view (matplotlib keeps but does not draw those)."""
    if not artist.get_visible():
        return
    yield artist
    if isinstance(artist, Axis):
        children = [artist.label, artist.offsetText, *_ticks_in_view(artist)] if artist.axes.axison else []
    else:
        children = artist.get_children()
    for child in children:
        yield from _visible(child)


def _ticks_in_view(axis: Axis) -> list[Tick]:
    lo, hi = sorted(axis.get_view_interval())
    eps = 1e-9 * max(hi - lo, 1e-300)
    ticks = [
        *zip(axis.get_major_ticks(), axis.get_majorticklocs(), strict=False),
        *zip(axis.get_minor_ticks(), axis.get_minorticklocs(), strict=False),
    ]
    return [tick for tick, loc in ticks if lo - eps <= loc <= hi + eps]


def _name(text: Text) -> str:
    words = " ".join(text.get_text().split())
    return repr(words if len(words) <= 40 else words[:37] + "...")


def _overlaps(texts: list[tuple[Text, Bbox]], tolerance: float) -> list[str]:
    problems = []
    for i, (a, box_a) in enumerate(texts):
        for b, box_b in texts[i + 1 :]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > tolerance and height > tolerance:
                problems.append(f"text {_name(a)} overlaps text {_name(b)}")
    return problems


def _cut_off(texts: list[tuple[Text, Bbox]], canvas: Bbox, tolerance: float) -> list[str]:
    problems = []
    for text, box in texts:
        outside = max(canvas.x0 - box.x0, box.x1 - canvas.x1, canvas.y0 - box.y0, box.y1 - canvas.y1)
        if outside > tolerance:
            problems.append(f"text {_name(text)} is cut off by the canvas ({outside:.0f} px outside)")
    return problems


def _all_axes(fig: Figure) -> list[Axes]:
    return [*fig.axes, *(ax for sub in fig.subfigs for ax in _all_axes(sub))]


def _scale_of(mappable: ScalarMappable) -> tuple | None:
    """The colour scale of a map (colormap and limits), or None for RGB images, masks and plain lines."""
    values = mappable.get_array()
    if values is None or np.ndim(values) > 2 or np.unique(np.ma.compressed(values)).size <= 2:
        return None
    norm = mappable.norm
    return mappable.get_cmap().name, type(norm).__name__, float(norm.vmin), float(norm.vmax)


def _scale_problems(fig: Figure) -> list[str]:
    """Each colour scale on a map has exactly one colour bar, and that bar is labelled."""
    bars = [m.colorbar for ax in _all_axes(fig) for m in (*ax.images, *ax.collections) if m.colorbar is not None]
    bar_axes = {bar.ax for bar in bars}
    panels: dict[tuple, set[Axes]] = defaultdict(set)
    for ax in (ax for ax in _all_axes(fig) if ax not in bar_axes):
        for mappable in (*ax.images, *ax.collections):
            if (scale := _scale_of(mappable)) is not None:
                panels[scale].add(ax)
    barred: dict[tuple, int] = defaultdict(int)
    for bar in bars:
        barred[_scale_of(bar.mappable)] += 1
    problems = [f"colour bar {_scale_text(_scale_of(b.mappable))} has no label" for b in bars if not _bar_label(b)]
    for scale, axes in panels.items():
        if not barred[scale]:
            problems.append(f"{len(axes)} panel(s) on colour scale {_scale_text(scale)} without a colour bar")
        elif barred[scale] > 1 and len(axes) > 1:
            problems.append(f"colour scale {_scale_text(scale)} shared by {len(axes)} panels has {barred[scale]} bars")
    return problems


def _bar_label(bar: Colorbar) -> str:
    return (bar.ax.get_ylabel() if bar.orientation == "vertical" else bar.ax.get_xlabel()).strip()


def _scale_text(scale: tuple | None) -> str:
    return "(none)" if scale is None else f"{scale[0]} {scale[2]:.3g}..{scale[3]:.3g}"


# ---- saving ------------------------------------------------------------------------------------------------------
def savefig(fig: Figure, name: str, out_dir: str | Path, caption: str | None = None) -> list[Path]:
    """Save ``fig`` at its own size as ``<out_dir>/<name>.png`` and ``.pdf`` deterministically, with the sidecar
    ``<name>.json`` (caption, size in inches, layout problems); returns the three paths.

    The caption is the figure's own (:func:`set_caption`) followed by ``caption``, and a note on any axis that
    does not start at zero; it goes into the PNG's Title/Description and the PDF's Title/Subject and, in a
    notebook, under the figure (which is then closed, so that it is shown once). A figure that fails the layout
    check (:func:`layout_problems`) or has no caption is saved all the same, with a warning and its problems in
    the sidecar: the tests read the sidecars, and a long batch run keeps every figure to look at."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = " ".join(filter(None, [caption_of(fig), caption]))
    if text and (note := truncated_axes(fig)) and note not in text:
        text = f"{text} {note}"
    problems = layout_problems(fig)
    for problem in [*problems, *([] if text else ["no caption"])]:
        warnings.warn(f"figure {name}: {problem}", stacklevel=2)
    paths = [out_dir / f"{name}.png", out_dir / f"{name}.pdf", out_dir / f"{name}.json"]
    fig.savefig(paths[0], metadata={"Software": None, "Title": name, "Description": text or None})
    fig.savefig(
        paths[1],
        metadata={"CreationDate": None, "Producer": None, "Creator": None, "Title": name, "Subject": text or None},
    )
    width, height = fig.get_size_inches()
    sidecar = {
        "name": name,
        "caption": text,
        "size_inches": [round(width, 3), round(height, 3)],
        "layout_problems": problems,
    }
    paths[2].write_text(json.dumps(sidecar, indent=1, ensure_ascii=False) + "\n")
    _show_in_notebook(fig, name, text)
    return paths


def _show_in_notebook(fig: Figure, name: str, caption: str) -> None:
    """In a notebook kernel, show ``fig`` with its caption under it, and close it so that it is shown once."""
    from IPython import get_ipython

    if not hasattr(get_ipython(), "kernel"):
        return
    from IPython.display import Markdown, display

    display(fig)
    display(Markdown(f"**{name}.** " + re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", caption or "(no caption)")))
    plt.close(fig)


# ---- captions -------------------------------------------------------------------------------------------------
def set_caption(fig: Figure, *sentences: str) -> Figure:
    """Attach the caption made of ``sentences`` (empty ones skipped) to ``fig``; returns ``fig``."""
    setattr(fig, _CAPTION, " ".join(s.strip() for s in sentences if s and s.strip()))
    return fig


def caption_of(fig: Figure) -> str:
    """The caption attached with :func:`set_caption` ("" if none)."""
    return getattr(fig, _CAPTION, "")


def truncated_axes(fig: Figure) -> str:
    """A sentence naming the labelled, linear axes of ``fig`` (colour bars aside) whose range does not start at
    zero (nor near it: the lower end above 5% of the upper), or "" if there are none."""
    bar_axes = {m.colorbar.ax for ax in _all_axes(fig) for m in (*ax.images, *ax.collections) if m.colorbar}
    names = []
    for ax in (ax for ax in _all_axes(fig) if ax.axison and ax not in bar_axes):
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            label = re.sub(r"[${}]", "", " ".join(axis.get_label_text().split()))  # mathtext as plain text
            if (
                label
                and axis.get_scale() == "linear"
                and len(axis.get_majorticklocs())
                and min(limits) > 0.05 * max(limits)
            ):
                names.append(f"{label} starts at {min(limits):.3g}")
    if not names:
        return ""
    names = list(dict.fromkeys(names))
    return f"Axes not starting at zero: {'; '.join(names)}."


def names_text(names: Sequence[str]) -> str:
    """``["A", "B", "C"]`` as "A, B and C"."""
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def seeds_text(counts: Mapping[str, int]) -> str:
    """What the lines and bands of curves over seeds are, given each configuration's number of seeds."""
    if set(counts.values()) == {1}:
        return "One seed (one training run) per configuration, so no band."
    over = (
        f"{next(iter(counts.values()))} seeds (training runs) per configuration"
        if len(set(counts.values())) == 1
        else "the seeds of each configuration (" + ", ".join(f"{k}: {n}" for k, n in counts.items()) + ")"
    )
    return f"Lines: mean over {over}; band: +-1 standard deviation over seeds."
