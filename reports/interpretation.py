"""The examiner's interpretation: editable text, printed as the examiner's opinion.

The file (`forensics report --interpretation FILE`) is plain UTF-8 text in paragraphs
separated by blank lines. A paragraph that starts with an item's label and a colon
("E2: ...") is printed with that item's conclusions; the others open section 1. The
text is shown verbatim (escaped, never interpreted) and embedded with its SHA-256.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.canonical import sha256_hex
from forensics.errors import ForensicsError

MAX_BYTES = 200_000
_ITEM = re.compile(r"^(E\d+)\s*:\s*", re.ASCII)


@dataclass(frozen=True)
class Interpretation:
    """The examiner's text, general and per item."""

    general: tuple[str, ...] = ()
    items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""  #: the file's name
    sha256: str = ""  #: SHA-256 of the file's bytes

    def for_item(self, label: str) -> tuple[str, ...]:
        return tuple(self.items.get(label, ()))

    def as_json(self) -> dict[str, Any]:
        return {"general": list(self.general), "items": {k: list(v) for k, v in self.items.items()},
                "source": self.source, "sha256": self.sha256}


def read_interpretation(path: Path, labels: Collection[str]) -> Interpretation:
    """Read ``path``; an item label that is not in the case (``labels``) is refused."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ForensicsError(f"{path}: cannot read the interpretation ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ForensicsError(f"{path}: the interpretation is {len(raw):,} bytes; at most "
                             f"{MAX_BYTES:,} are printed in a report")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ForensicsError(f"{path}: the interpretation is not UTF-8 text ({exc.reason} at byte "
                             f"{exc.start})") from None
    general: list[str] = []
    items: dict[str, list[str]] = {}
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        paragraph = " ".join(block.split())
        if not paragraph:
            continue
        match = _ITEM.match(paragraph)
        if match is None:
            general.append(paragraph)
            continue
        label = match.group(1)
        if label not in labels:
            raise ForensicsError(f"{path}: a paragraph is about {label}, which is not an evidence "
                                 f"item of the case ({', '.join(sorted(labels)) or 'none'})")
        items.setdefault(label, []).append(paragraph[match.end():])
    if not general and not items:
        raise ForensicsError(f"{path}: the interpretation is empty")
    return Interpretation(tuple(general), {k: tuple(v) for k, v in items.items()}, path.name,
                          sha256_hex(raw))
