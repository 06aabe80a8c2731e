"""The visible signature block: a one-page PDF the size of the signature's box, drawn by
reportlab in the report's embedded fonts and used by pyHanko as the field's appearance.

pyHanko can set the text itself, but with a TrueType font it writes glyph widths in the
font's own units (2048 per em for DejaVu) where PDF expects 1000, so viewers space the
letters twice too far apart; reportlab's embedding is the one the whole report uses.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.pdfgen.canvas import Canvas

from forensics.reports.fonts import MONO, SANS, SANS_BOLD, register_fonts

PADDING = 6.0
SIZE = 8.0
LEADING = 10.0


def block_pdf(width: float, height: float, title: str, lines: Sequence[str],
              mono_lines: Sequence[str] = ()) -> bytes:
    """A page of ``width`` x ``height`` points: a frame, ``title`` in bold, then ``lines``
    and ``mono_lines`` (e.g. a fingerprint) in the mono font."""
    register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height), initialFontName=SANS, initialFontSize=SIZE)
    canvas.setLineWidth(0.8)
    canvas.rect(0.5, 0.5, width - 1, height - 1)
    y = height - PADDING - SIZE
    for font, text in ((SANS_BOLD, title), *((SANS, line) for line in lines),
                       *((MONO, line) for line in mono_lines)):
        canvas.setFont(font, SIZE)
        canvas.drawString(PADDING, y, text)
        y -= LEADING
    canvas.showPage()
    canvas.save()
    return out.getvalue()
