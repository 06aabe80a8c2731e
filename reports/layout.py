"""Building blocks the report's sections and appendices share: paragraphs, cells,
key-value tables and chunked grids, thumbnails."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, Paragraph, Table

from forensics.reports.styles import (
    BODY,
    BOLD,
    FRAME_WIDTH,
    KEY_VALUE,
    MIN_TABLE_PT,
    MONO_CELL,
    STYLES,
    TABLE,
    safe,
)

GRID_CHUNK = 25  # rows per table chunk
DRAFT_MARK = "UNSIGNED DRAFT"


def para(text: str, style: str = "BodyText") -> Paragraph:
    """A paragraph of markup (already made safe)."""
    return Paragraph(text, STYLES[style])


def cell(text: object, *, markup: bool = False) -> Paragraph:
    """A wrapped table cell: plain text made safe, or markup as given."""
    return Paragraph(str(text) if markup else safe(text), STYLES["Cell"])


def key_values(rows: Sequence[tuple[str, str]], key_width: float = 130) -> Table:
    """A two-column table; values are markup (already made safe)."""
    table = Table([[cell(k), Paragraph(v, STYLES["Cell"])] for k, v in rows],
                  colWidths=[key_width, FRAME_WIDTH - key_width])
    table.setStyle(KEY_VALUE)
    return table


def grid(header: Sequence[str], rows: list[list[Any]], widths: Sequence[float],
         mono: Sequence[int] = ()) -> list[Flowable]:
    """A table with a header row; cells are Paragraphs (wrapped) or plain strings (one
    line each, columns ``mono`` in the mono font). Built in chunks: reportlab re-measures
    every remaining row at each page split, so one long table costs time quadratic in its
    rows."""
    chunks = []
    for start in range(0, max(len(rows), 1), GRID_CHUNK):
        table = Table([list(header), *rows[start:start + GRID_CHUNK]],
                      colWidths=list(widths), repeatRows=1)
        table.setStyle(TABLE)
        table.setStyle([("FONT", (c, 1), (c, -1), *MONO_CELL) for c in mono])
        chunks.append(table)
    return chunks


def side_by_side(cells: Sequence[Flowable], widths: Sequence[float], valign: str = "TOP") -> Table:
    """Flowables in one row without borders or padding (thumbnail and title, two plots)."""
    table = Table([list(cells)], colWidths=list(widths))
    table.setStyle([("FONT", (0, 0), (-1, -1), BODY, MIN_TABLE_PT), ("VALIGN", (0, 0), (-1, -1), valign),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    return table


def picture(jpeg: bytes, max_width: float, max_height: float) -> Image:
    """A JPEG/PNG scaled to fit the box, keeping its aspect ratio."""
    pixels_w, pixels_h = ImageReader(io.BytesIO(jpeg)).getSize()
    scale = min(max_width / pixels_w, max_height / pixels_h)
    return Image(io.BytesIO(jpeg), width=pixels_w * scale, height=pixels_h * scale)


class SignatureSpot(Flowable):
    """Room for the visible signature: its page and place are handed to the canvas
    (``note_box``), where the signer finds them; a draft says here that it is not signed."""

    def __init__(self, width: float, height: float, draft: bool) -> None:
        super().__init__()
        self.width, self.height, self.draft = width, height, draft

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        note = getattr(canvas, "note_box", None)
        if note is not None:
            note(self.width, self.height)
        if self.draft:
            canvas.setStrokeColorRGB(0.5, 0.5, 0.5)
            canvas.setLineWidth(0.6)
            canvas.rect(0, 0, self.width, self.height)
            canvas.setFont(BOLD, 10)
            canvas.drawString(8, self.height / 2 - 4, f"{DRAFT_MARK}: no digital signature")
