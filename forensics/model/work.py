"""Units of work: what one queued piece of analysis is, and the states it moves through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class UnitState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  #: its findings are recorded (an error finding for bad input included)
    FAILED = "failed"  #: nothing recorded; the reason says why (re-queue to try again)


@dataclass(frozen=True)
class WorkUnit:
    """One method over one evidence item: the unit that is queued, run and recorded
    exactly once. The version and config digest are part of it, so a worker running
    another build of the method refuses the unit instead of recording other results."""

    evidence_sha256: str
    method: str
    method_version: str
    config_digest: str

    def as_json(self) -> dict[str, str]:
        return {
            "evidence_sha256": self.evidence_sha256,
            "method": self.method,
            "method_version": self.method_version,
            "config_digest": self.config_digest,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkUnit:
        return cls(
            str(data["evidence_sha256"]),
            str(data["method"]),
            str(data["method_version"]),
            str(data["config_digest"]),
        )


@dataclass(frozen=True)
class UnitStatus:
    """A unit as the ledger holds it."""

    unit: WorkUnit
    evidence_label: str
    state: UnitState
    queued_by: str
    worker: str
    attempts: int
    reason: str
    finding_digests: tuple[str, ...]
