"""Frozen dataclasses that carry data across module borders (DESIGN.md, convention 3)."""

from forensics.model.records import (
    Case,
    CustodyEvent,
    EvidenceItem,
    Examiner,
)
from forensics.model.findings import (
    FINDING_SCHEMA_VERSION,
    Artifact,
    EvidenceInput,
    Finding,
    Verdict,
    verbal_scale,
)

__all__ = [
    "FINDING_SCHEMA_VERSION",
    "Artifact",
    "Case",
    "CustodyEvent",
    "EvidenceInput",
    "EvidenceItem",
    "Examiner",
    "Finding",
    "Verdict",
    "verbal_scale",
]
