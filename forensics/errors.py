"""The suite's error hierarchy.

Three kinds of failure are kept apart (DESIGN.md, convention 4):
- ``NotApplicable``: the input is not something this component handles;
- a damaged input: recorded as an error finding (detectors) or refused with an
  ``EvidenceError`` (intake), naming the file and the reason;
- a bug: any other exception, which is allowed to propagate.

Only the CLI turns these errors into messages.
"""

from __future__ import annotations


class ForensicsError(Exception):
    """Root of every error the suite raises on purpose."""


class ConfigurationError(ForensicsError):
    """Settings are missing or contradictory (no examiner, bad database URL...)."""


class CanonicalError(ForensicsError, ValueError):
    """A value cannot be written as canonical JSON (NaN, infinity, non-string key...)."""


class NotApplicable(ForensicsError):
    """The input is of a kind this component does not handle (not an error in the data)."""


class EvidenceError(ForensicsError):
    """An evidence file is refused or unreadable; the message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class CaseError(ForensicsError):
    """A case does not exist, already exists, or is in the wrong state."""


class SchemaError(ForensicsError):
    """The database schema is not at the revision this code expects."""


class IntegrityError(ForensicsError):
    """Stored data does not match its recorded digest: evidence, finding, chain or weights."""

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        super().__init__(message)
        self.subject = subject


class SigningError(ForensicsError):
    """A report could not be signed, or a signature does not verify."""


class QueueError(ForensicsError):
    """The message broker of distributed analysis cannot be reached or refused work."""
