"""Frozen dataclasses that carry data across module borders (DESIGN.md, convention 3)."""

from forensics.model.findings import (
    FINDING_SCHEMA_VERSION,
    SUPPORT_THRESHOLD_LOG10,
    Artifact,
    EvidenceInput,
    Finding,
    Verdict,
    verbal_scale,
    verdict_for,
)
from forensics.model.records import (
    Case,
    CustodyEvent,
    EvidenceItem,
)

__all__ = [
    "FINDING_SCHEMA_VERSION",
    "SUPPORT_THRESHOLD_LOG10",
    "Artifact",
    "Case",
    "CustodyEvent",
    "EvidenceInput",
    "EvidenceItem",
    "Finding",
    "Verdict",
    "verbal_scale",
    "verdict_for",
]
