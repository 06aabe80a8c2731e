"""Media type from content (libmagic, as `file --mime-type`), never from the file name."""

from __future__ import annotations

from pathlib import Path

import magic

SNIFF_BYTES = 64 * 1024  # enough for libmagic to see into MP4/QuickTime and TIFF headers

# libmagic names a few video containers by their generic type; map what it reports
# for containers we decode to the video type examiners expect.
_ALIASES = {
    "application/x-matroska": "video/x-matroska",
}


def sniff_media_type(path: Path) -> str:
    """The MIME type of a file's content, e.g. ``image/jpeg`` or ``video/mp4``."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    mime = magic.from_buffer(head, mime=True) or "application/octet-stream"
    return _ALIASES.get(mime, mime)
