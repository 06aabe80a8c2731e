"""The report's fonts: DejaVu (Debian's fonts-dejavu-core), embedded in every PDF.

PDF viewers substitute the base-14 fonts (Helvetica, Courier) with whatever they have,
so a report printed elsewhere may not look the same; PDF/A and court e-filing systems
ask for embedded fonts. reportlab embeds a subset of each TrueType font it draws with.
The font files are looked up in ``FONT_DIRS`` (or ``$FORENSICS_FONT_DIR``); a missing
file is an error that names it and the package that ships it, never a silent fallback.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from reportlab.graphics.shapes import STATE_DEFAULTS
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from forensics.errors import ForensicsError

ENV_FONT_DIR = "FORENSICS_FONT_DIR"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"),
             Path("/usr/local/share/fonts/dejavu"))
SANS, SANS_BOLD, SANS_ITALIC, MONO = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSansMono"
FILES = {SANS: "DejaVuSans.ttf", SANS_BOLD: "DejaVuSans-Bold.ttf",
         SANS_ITALIC: "DejaVuSans-Oblique.ttf", MONO: "DejaVuSansMono.ttf"}


def font_file(name: str) -> Path:
    """The TrueType file of one of the report's fonts; ForensicsError naming it when missing."""
    folders = [Path(os.environ[ENV_FONT_DIR])] if os.environ.get(ENV_FONT_DIR) else list(FONT_DIRS)
    for folder in folders:
        path = folder / FILES[name]
        if path.is_file():
            return path
    raise ForensicsError(f"{FILES[name]}: font file not found in {', '.join(map(str, folders))}; "
                         "install Debian's fonts-dejavu-core (bash scripts/setup.sh does) or set "
                         f"{ENV_FONT_DIR}")


@functools.cache
def register_fonts() -> None:
    """Register the DejaVu faces with reportlab once; <b> and <i> map to them."""
    for name in FILES:
        pdfmetrics.registerFont(TTFont(name, str(font_file(name))))
    for bold, italic, face in ((0, 0, SANS), (1, 0, SANS_BOLD), (0, 1, SANS_ITALIC), (1, 1, SANS_BOLD)):
        addMapping(SANS, bold, italic, face)
    for bold, italic in ((0, 0), (1, 0), (0, 1), (1, 1)):
        addMapping(MONO, bold, italic, MONO)
    # reportlab's graphics start every drawing by selecting their default font (Helvetica,
    # not embedded) even when no string uses it: make that default the embedded one.
    STATE_DEFAULTS["fontName"] = SANS


@functools.cache
def _covered(name: str) -> frozenset[int]:
    register_fonts()
    font = pdfmetrics.getFont(name)
    return frozenset(font.face.charToGlyph)


def has_glyph(char: str, name: str = SANS) -> bool:
    """True when the font draws ``char`` (otherwise a viewer would show an empty box)."""
    return ord(char) in _covered(name)
