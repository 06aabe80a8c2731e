"""Paragraph and table styles of the report, and text made safe for its fonts.

The report is set in DejaVu Sans and DejaVu Sans Mono, embedded (``forensics.reports.fonts``).
Characters those fonts cannot draw are written as \\uXXXX escapes instead of being
dropped or drawn as boxes. No text in a table is smaller than 8 pt.
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
from forensics.reports.fonts import MONO as MONO_FONT
from forensics.reports.fonts import SANS, SANS_BOLD, has_glyph, register_fonts

PAGE_SIZE = A4
MARGIN = 18 * mm
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN - 12  # SimpleDocTemplate pads its frame by 6 pt a side
MONO = MONO_FONT
BODY, BOLD = SANS, SANS_BOLD
MIN_TABLE_PT = 8.0
GRID = colors.Color(0.55, 0.55, 0.55)
HEADER_FILL = colors.Color(0.88, 0.88, 0.88)


def printable(text: object) -> str:
    """``text`` with control and format characters escaped (``model.text.visible``) and
    characters the body font cannot draw written as \\uXXXX (plain table cells)."""
    out = []
    for char in visible(text):
        if char in "\n\t" or has_glyph(char):
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
    return "".join(out)


def safe(text: object) -> str:
    """``text`` escaped for a Paragraph, with characters outside cp1252 as \\uXXXX."""
    return escape(printable(text))


def mono(text: object, size: float = 8) -> str:
    """Inline markup for a hash or identifier (monospace, wraps anywhere)."""
    return f'<font face="{MONO}" size="{size}">{safe(text)}</font>'


def _build() -> StyleSheet1:
    register_fonts()
    sheet = getSampleStyleSheet()
    base = sheet["BodyText"]
    base.fontName, base.fontSize, base.leading = BODY, 9.5, 12.5
    sheet.add(ParagraphStyle("Small", parent=base, fontSize=8, leading=10))
    sheet.add(ParagraphStyle("Cell", parent=base, fontSize=MIN_TABLE_PT, leading=10))
    sheet.add(ParagraphStyle("Caption", parent=base, fontSize=8, leading=10,
                             textColor=colors.Color(0.2, 0.2, 0.2)))
    sheet.add(ParagraphStyle("Opinion", parent=base, leftIndent=10, borderPadding=6,
                             borderColor=colors.Color(0.6, 0.6, 0.6), borderWidth=0.5,
                             backColor=colors.Color(0.96, 0.96, 0.96), spaceBefore=6, spaceAfter=10))
    sheet.add(ParagraphStyle("CoverTitle", parent=sheet["Title"], fontName=BOLD, fontSize=20,
                             leading=24, alignment=TA_CENTER, spaceAfter=6))
    sheet.add(ParagraphStyle("CoverSub", parent=base, fontSize=11, leading=14,
                             alignment=TA_CENTER))
    sheet.add(ParagraphStyle("Statement", parent=base, fontSize=9.5, leading=12.5, spaceAfter=4))
    for name, size in (("Heading1", 14), ("Heading2", 11.5), ("Heading3", 10)):
        sheet[name].fontName = BOLD
        sheet[name].fontSize = size
        sheet[name].leading = size + 3
        sheet[name].spaceBefore = size * 0.6
        sheet[name].spaceAfter = size * 0.3
    return sheet


STYLES = _build()

# Plain-string cells (no Paragraph: much faster) use the body font at 8 pt; hash columns
# MONO_CELL, whose 8 pt mono puts a 64-digit SHA-256 on one line of a 315 pt column.
MONO_CELL = (MONO, MIN_TABLE_PT, 10)
HASH_WIDTH = 315.0
_CELLS = [
    ("FONT", (0, 0), (-1, -1), BODY, MIN_TABLE_PT, 10),
    ("GRID", (0, 0), (-1, -1), 0.4, GRID),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
]
TABLE = TableStyle([*_CELLS, ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL)])  # header row
KEY_VALUE = TableStyle([*_CELLS, ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL)])  # key column
