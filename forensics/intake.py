"""Acquire evidence files into a case: hash once, copy, record, chain.

For each file: open it without following links, refuse anything but a non-empty
regular file, stream it once through SHA-256/SHA-1/MD5 while copying it to a temp
file in the store, sniff its media type from the copy, move the copy to its SHA-256
name (read-only), then record it and its custody event in one transaction. If the
record fails, a copy that this call created is removed again: nothing is left
half-recorded.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from forensics.errors import EvidenceError
from forensics.evidence.hashing import digest_stream
from forensics.evidence.sniff import sniff_media_type
from forensics.evidence.store import CaseStore, remove_stored
from forensics.model import EvidenceItem
from forensics.storage.repository import Acquisition, Repository, check_examiner

Progress = Callable[[int], None]


@dataclass(frozen=True)
class IntakeResult:
    """What happened to one path given to `acquire`."""

    path: str  #: the path as found (absolute)
    item: EvidenceItem | None  #: the recorded item, None when refused
    new: bool  #: False when identical content was already in the case
    error: str  #: why it was refused, empty on success

    def as_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "ok": self.item is not None,
            "new": self.new,
            "error": self.error,
            "evidence": self.item.as_json() if self.item else None,
        }


def _kind_of(mode: int) -> str | None:
    """Why a file of this mode is not acquirable, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device file, not a regular file; image the device first"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """The given paths, directories walked in sorted order (links are not followed)."""
    for path in paths:
        absolute = Path(os.path.abspath(path))
        if absolute.is_dir() and not absolute.is_symlink():
            for folder, subdirs, names in os.walk(absolute):
                subdirs.sort()
                for name in sorted(names + [d for d in subdirs if Path(folder, d).is_symlink()]):
                    yield Path(folder, name)
        else:
            yield absolute


class Intake:
    """Acquires files into one case of a case root."""

    def __init__(self, repository: Repository, home: Path, case_number: str) -> None:
        self.repository = repository
        self.home = Path(os.path.abspath(home))
        self.case_number = case_number
        self.store = CaseStore(self.home, case_number)

    def acquire(
        self,
        paths: Iterable[Path],
        *,
        examiner: str,
        note: str = "",
        on_start: Callable[[Path, int], None] | None = None,
        progress: Progress | None = None,
    ) -> list[IntakeResult]:
        """Acquire every file under ``paths``; refused files are reported, not raised."""
        examiner = check_examiner(examiner)
        self.repository.get_case(self.case_number)  # fails early for an unknown case
        self.store.remove_stale_temps()
        results = []
        for path in expand_paths(paths):
            try:
                item, new = self.acquire_file(
                    path, examiner=examiner, note=note, on_start=on_start, progress=progress
                )
                results.append(IntakeResult(str(path), item, new, ""))
            except EvidenceError as exc:
                results.append(IntakeResult(str(path), None, False, exc.reason))
        return results

    def acquire_file(
        self,
        path: Path,
        *,
        examiner: str,
        note: str = "",
        on_start: Callable[[Path, int], None] | None = None,
        progress: Progress | None = None,
    ) -> tuple[EvidenceItem, bool]:
        """Acquire one file; raises EvidenceError naming it and the reason."""
        path = Path(os.path.abspath(path))
        self._refuse_inside_home(path)
        fd = self._open_regular(path)
        temp = self.store.new_temp()
        final: Path | None = None
        created = False
        try:
            with os.fdopen(fd, "rb") as source, temp.open("xb") as copy:
                size_before = os.fstat(source.fileno()).st_size
                if on_start is not None:
                    on_start(path, size_before)
                try:
                    digests = digest_stream(source, copy_to=copy, progress=progress)
                except OSError as exc:
                    raise EvidenceError(path, f"read failed: {exc.strerror or exc}") from None
                if digests.size != size_before or os.fstat(source.fileno()).st_size != size_before:
                    raise EvidenceError(path, "the file changed size while it was being read")
                copy.flush()
                os.fsync(copy.fileno())
            media_type = sniff_media_type(temp)
            final, created = self.store.commit_temp(temp, digests.sha256)
            acquisition = Acquisition(
                sha256=digests.sha256,
                sha1=digests.sha1,
                md5=digests.md5,
                size=digests.size,
                media_type=media_type,
                original_name=path.name,
                original_path=str(path),
            )
            return self.repository.record_acquisition(
                self.case_number, acquisition, examiner=examiner, note=note
            )
        except BaseException:
            temp.unlink(missing_ok=True)
            if created and final is not None:
                remove_stored(final)  # our copy has no record: do not leave an orphan
            raise

    def _refuse_inside_home(self, path: Path) -> None:
        if path == self.home or self.home in path.parents:
            raise EvidenceError(
                path, f"lies inside the case root {self.home}; acquire original files, "
                "not the suite's own store or database"
            )

    @staticmethod
    def _open_regular(path: Path) -> int:
        """Open for reading without following a link; refuse what is not a regular file.

        The checks run on the opened descriptor, so the file cannot be swapped for a
        link or a FIFO between the check and the read.
        """
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            raise EvidenceError(path, "no such file or directory") from None
        except PermissionError:
            raise EvidenceError(path, "cannot be read: permission denied") from None
        if stat.S_ISLNK(mode):
            target = os.readlink(path)
            raise EvidenceError(
                path, f"is a symbolic link (to {target}); acquire the target file itself"
            )
        reason = _kind_of(mode)
        if reason:
            raise EvidenceError(path, reason)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except PermissionError:
            raise EvidenceError(path, "cannot be read: permission denied") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise EvidenceError(path, "is a symbolic link; acquire the target file itself") from None
            raise EvidenceError(path, f"cannot be opened: {exc.strerror}") from None
        info = os.fstat(fd)
        reason = _kind_of(info.st_mode)
        if reason is None and info.st_size == 0:
            reason = "is empty (0 bytes): there is nothing to acquire"
        if reason:
            os.close(fd)
            raise EvidenceError(path, reason)
        os.set_blocking(fd, True)
        return fd
