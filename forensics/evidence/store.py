"""The content-addressed evidence store: ``<home>/<case>/evidence/<sha256>``, read-only.

Files are written to a temporary name beside their final place, flushed to disk, then
renamed to their SHA-256 and made read-only, so a stored file is either complete or
absent. Artifacts (plots, heatmaps) live the same way under ``artifacts/``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
TEMP_PREFIX = ".incoming-"


class CaseStore:
    """Paths and atomic writes under one case's folder."""

    def __init__(self, home: Path, case_number: str) -> None:
        self.root = home / case_number
        self.evidence_dir = self.root / "evidence"
        self.artifacts_dir = self.root / "artifacts"

    def evidence_path(self, sha256: str) -> Path:
        return self.evidence_dir / sha256

    def artifact_path(self, sha256: str) -> Path:
        return self.artifacts_dir / sha256

    def new_temp(self) -> Path:
        """A fresh temporary path in the evidence folder (same file system as the target)."""
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        return self.evidence_dir / f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}"

    def commit_temp(self, temp: Path, sha256: str) -> tuple[Path, bool]:
        """Move a fully written temp file to its content address.

        Returns (final path, whether it is new). When identical content is already
        stored, the temp copy is discarded.
        """
        final = self.evidence_path(sha256)
        if final.exists():
            temp.unlink()
            return final, False
        os.chmod(temp, READ_ONLY)
        os.replace(temp, final)
        _fsync_dir(self.evidence_dir)
        return final, True

    def put_artifact(self, sha256: str, data: bytes) -> bool:
        """Store an artifact by its SHA-256; returns whether it was new."""
        final = self.artifact_path(sha256)
        if final.exists():
            return False
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        temp = self.artifacts_dir / f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(6).hex()}"
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, READ_ONLY)
        os.replace(temp, final)
        return True

    def remove_stale_temps(self) -> list[Path]:
        """Delete temp files left by intake processes that no longer run (a crash)."""
        removed = []
        for folder in (self.evidence_dir, self.artifacts_dir):
            if not folder.is_dir():
                continue
            for temp in folder.glob(f"{TEMP_PREFIX}*"):
                pid = int(temp.name[len(TEMP_PREFIX):].split("-", 1)[0])
                if not _process_alive(pid):
                    temp.unlink(missing_ok=True)
                    removed.append(temp)
        return removed


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stored(path: Path) -> None:
    """Remove a store file (an orphan whose record was not committed)."""
    if path.exists():
        os.chmod(path, stat.S_IWUSR | READ_ONLY)
        path.unlink()
