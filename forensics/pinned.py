"""Files a detector loads only when their SHA-256 is the one pinned in its code:
parameters, network weights, model cards. A changed or unreadable file is refused with
an ``IntegrityError`` naming it (that is never the evidence's fault, so it is raised)."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

from forensics.errors import IntegrityError


def read_pinned(path: Path, expected: str, what: str) -> bytes:
    """The file's bytes, after their SHA-256 matched ``expected``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntegrityError(f"{path}: the {what} cannot be read: {exc}", subject=str(path)) from exc
    found = hashlib.sha256(data).hexdigest()
    if found != expected:
        raise IntegrityError(
            f"{path}: SHA-256 {found} of the {what} does not match the pinned {expected}; "
            "refusing to load it",
            subject=str(path),
        )
    return data


def shipped_file(name: str) -> Path:
    """A file shipped in the package's ``forensics/data`` folder (weights, parameters, cards)."""
    return Path(str(files("forensics") / "data" / name))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (what a finding names as its weights digest)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
