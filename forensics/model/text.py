"""Text given by people (titles, notes, names, file names) shown verbatim, never
interpreted: control characters and invisible format characters (bidirectional
overrides and marks, zero-width characters) are written as visible escapes, so that a
terminal or a PDF viewer cannot reorder, hide or act on them. Line breaks and tabs
stay. The stored value is unchanged; only what is shown is escaped.
"""

from __future__ import annotations

import unicodedata

_KEPT = frozenset("\n\t")


def visible(text: object) -> str:
    """``text`` with control (Cc) and format (Cf) characters as \\xNN / \\uXXXX escapes."""
    out = []
    for char in str(text):
        if char not in _KEPT and unicodedata.category(char) in ("Cc", "Cf"):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)
