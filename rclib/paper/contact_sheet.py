"""Every figure of a profile on one page with its caption, so that a reader sees the whole set at once.

:func:`contact_sheet` reads the PNGs that :func:`rclib.paper.layout.savefig` wrote into a figures folder and
their sidecars (caption, layout check), and writes ``contact_sheet.png`` (one page, every figure) and
``contact_sheet.pdf`` (the same figures, :data:`PER_PAGE` to a page) into that folder. A figure whose sidecar
records layout problems, or that has no sidecar, is marked in red.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure  # no pyplot: the sheet leaves the caller's figures and backend alone
from PIL import Image

SHEET = "contact_sheet"
COLUMNS = 3
PER_PAGE = 6  # figures on one page of the PDF (two rows of COLUMNS)
CELL_WIDTH, IMAGE_HEIGHT = 5.0, 3.0  # inches of one figure's cell and of its picture
CAPTION_PT = 6.5  # font size of the captions
THUMBNAIL = 1200  # pixels: the longest side a figure is read at


@dataclass
class Entry:
    """One saved figure: its name, its picture and what its sidecar says."""

    name: str
    picture: np.ndarray
    caption: str
    problems: list[str]


def contact_sheet(figures_dir: str | Path) -> list[Path]:
    """Write ``<figures_dir>/contact_sheet.png`` (one page) and ``.pdf`` (pages of :data:`PER_PAGE` figures) of
    every figure saved in ``figures_dir``, each with its caption; returns the two paths ([] when the folder
    holds no figure)."""
    figures_dir = Path(figures_dir)
    entries = read_entries(figures_dir)
    if not entries:
        return []
    paths = [figures_dir / f"{SHEET}.png", figures_dir / f"{SHEET}.pdf"]
    page_of = f"{figures_dir.name}: {len(entries)} figures"
    sheet_page(entries, page_of).savefig(paths[0], dpi=100, metadata={"Software": None})
    chunks = [entries[i : i + PER_PAGE] for i in range(0, len(entries), PER_PAGE)]
    with PdfPages(paths[1], metadata={"CreationDate": None, "Producer": None, "Creator": None}) as pdf:
        for k, chunk in enumerate(chunks, start=1):
            pdf.savefig(sheet_page(chunk, f"{page_of}, page {k} of {len(chunks)}"))
    return paths


def read_entries(figures_dir: Path) -> list[Entry]:
    """The figures saved in ``figures_dir`` (sorted by name, the contact sheet itself left out)."""
    return [_entry(png) for png in sorted(figures_dir.glob("*.png")) if png.stem != SHEET]


def _entry(png: Path) -> Entry:
    with Image.open(png) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMBNAIL, THUMBNAIL))
        picture = np.asarray(image)
    sidecar = png.with_suffix(".json")
    if not sidecar.exists():
        return Entry(png.stem, picture, "", ["no sidecar: saved without rclib's savefig"])
    record = json.loads(sidecar.read_text())
    problems = list(record.get("layout_problems", []))
    return Entry(
        png.stem, picture, record.get("caption", ""), problems + ([] if record.get("caption") else ["no caption"])
    )


def _wrapped(entry: Entry) -> str:
    width = int(CELL_WIDTH * 72 / (0.6 * CAPTION_PT))  # characters per line at the caption's font size
    text = entry.caption or "(no caption)"
    if entry.problems:
        text += f" [LAYOUT CHECK: {len(entry.problems)} problem(s): " + "; ".join(entry.problems) + "]"
    return textwrap.fill(text, width)


def sheet_page(entries: list[Entry], title: str) -> Figure:
    """One page: the figures in rows of :data:`COLUMNS`, each with its name above and its caption below."""
    captions = [_wrapped(e) for e in entries]
    caption_height = max(c.count("\n") + 1 for c in captions) * CAPTION_PT * 1.3 / 72 + 0.15
    rows = math.ceil(len(entries) / COLUMNS)
    fig = Figure(figsize=(COLUMNS * CELL_WIDTH, rows * (IMAGE_HEIGHT + caption_height + 0.3) + 0.4))
    grid = fig.add_gridspec(
        2 * rows, COLUMNS, height_ratios=[IMAGE_HEIGHT, caption_height] * rows, hspace=0.15, wspace=0.05
    )
    height = fig.get_figheight()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.6 / height)
    fig.suptitle(title, fontsize=11, y=1 - 0.1 / height, va="top")
    for i, (entry, caption) in enumerate(zip(entries, captions, strict=True)):
        row, col = divmod(i, COLUMNS)
        picture, below = fig.add_subplot(grid[2 * row, col]), fig.add_subplot(grid[2 * row + 1, col])
        picture.imshow(entry.picture)
        picture.set_title(entry.name, fontsize=9, color="red" if entry.problems else "black")
        below.text(0, 1, caption, fontsize=CAPTION_PT, va="top", ha="left", transform=below.transAxes)
        for ax in (picture, below):
            ax.set_axis_off()
    return fig
