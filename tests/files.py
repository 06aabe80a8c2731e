"""Small helpers for tests that hand files to detectors."""

from __future__ import annotations

import hashlib
from pathlib import Path

from forensics.model import EvidenceInput


def evidence_input(path: Path, media_type: str) -> EvidenceInput:
    """A file as a detector receives it (its SHA-256, media type and name)."""
    return EvidenceInput(path, hashlib.sha256(path.read_bytes()).hexdigest(), media_type, path.name)


def flipped_copy(path: Path, into: Path) -> Path:
    """A copy of ``path`` at ``into`` with one bit of its middle byte inverted."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    into.write_bytes(bytes(data))
    return into
