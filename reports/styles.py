"""Paragraph and table styles of the report, and text made safe for its fonts.

The report uses the PDF base-14 fonts (Helvetica, Courier): nothing to embed, fast to
render. They cover Windows-1252 only, so other characters are written as \\uXXXX
escapes instead of being dropped or drawn as boxes.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from forensics.model.text import visible

PAGE_SIZE = A4
MARGIN = 18 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN - 12  # SimpleDocTemplate pads its frame by 6 pt a side
MONO = "Courier"
GRID = colors.Color(0.55, 0.55, 0.55)
HEADER_FILL = colors.Color(0.88, 0.88, 0.88)


def printable(text: object) -> str:
    """``text`` with control and format characters escaped (``model.text.visible``) and
    characters outside cp1252 written as \\uXXXX (plain table cells)."""
    out = []
    for char in visible(text):
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return "".join(out)


def safe(text: object) -> str:
    """``text`` escaped for a Paragraph, with characters outside cp1252 as \\uXXXX."""
    return escape(printable(text))


def mono(text: object, size: float = 7) -> str:
    """Inline markup for a hash or identifier (monospace, wraps anywhere)."""
    return f'<font face="{MONO}" size="{size}">{safe(text)}</font>'


def _build() -> StyleSheet1:
    sheet = getSampleStyleSheet()
    base = sheet["BodyText"]
    base.fontName, base.fontSize, base.leading = "Helvetica", 9, 11.5
    sheet.add(ParagraphStyle("Small", parent=base, fontSize=7.5, leading=9.5))
    sheet.add(ParagraphStyle("Cell", parent=base, fontSize=7.5, leading=9))
    sheet.add(ParagraphStyle("Caption", parent=base, fontSize=7.5, leading=9,
                             textColor=colors.Color(0.2, 0.2, 0.2)))
    sheet.add(ParagraphStyle("CoverTitle", parent=sheet["Title"], fontSize=20, leading=24,
                             alignment=TA_CENTER, spaceAfter=6))
    sheet.add(ParagraphStyle("CoverSub", parent=base, fontSize=11, leading=14,
                             alignment=TA_CENTER))
    sheet.add(ParagraphStyle("Statement", parent=base, fontSize=9, leading=12, spaceAfter=4))
    for name, size in (("Heading1", 14), ("Heading2", 11), ("Heading3", 9.5)):
        sheet[name].fontName = "Helvetica-Bold"
        sheet[name].fontSize = size
        sheet[name].leading = size + 3
        sheet[name].spaceBefore = size * 0.6
        sheet[name].spaceAfter = size * 0.3
    return sheet


STYLES = _build()

# Plain-string cells (no Paragraph: much faster) use Helvetica 7.5; hash columns MONO_CELL,
# whose 6.2 pt Courier puts a 64-digit SHA-256 on one line of a 250 pt column.
MONO_CELL = (MONO, 6.2, 7.6)
_CELLS = [
    ("FONT", (0, 0), (-1, -1), "Helvetica", 7.5, 9),
    ("GRID", (0, 0), (-1, -1), 0.4, GRID),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]
TABLE = TableStyle([*_CELLS, ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL)])  # header row
KEY_VALUE = TableStyle([*_CELLS, ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL)])  # key column
