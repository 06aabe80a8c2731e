"""Every recorded row bound to the custody event that recorded it.

The chain's hashes protect the events; the case, evidence and finding rows beside them
are protected by comparing each field with what its event recorded:

- ``cases``: every field of the row (number, title, description, requested by, status,
  creation time, and the examiner who opened it, through ``examiners.name``) against
  the ``case_opened`` event's payload (seq 1);
- ``evidence_items``: digests, size, media type, original name and path, note and item
  number against the ``acquired`` event's payload; the acquiring examiner against the
  event's examiner; the acquisition time against the event's time (within
  ``TIME_TOLERANCE_S``: row and event are written in one transaction, microseconds
  apart). An ``acquired`` event whose row is gone (deleted, or moved to another case)
  is named too;
- ``findings``: the detector, version, verdict and evidence columns against the hashed
  body and the ``finding_recorded`` event's payload; the recording time against the
  event's time. A ``finding_recorded`` event whose row is gone is named too.
Each mismatch names the table, the row and the field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forensics.model import Case, CustodyEvent, EvidenceItem
from forensics.model.records import format_time
from forensics.storage.records import StoredFinding

TIME_TOLERANCE_S = 1.0
_EVIDENCE_FIELDS = ("sha256", "sha1", "md5", "size", "media_type", "original_name", "original_path", "note")


@dataclass(frozen=True)
class Mismatch:
    """A recorded field that no longer matches its custody event."""

    table: str
    row: str  #: e.g. "E2 <sha256>", a finding digest, a case number
    field: str
    message: str

    @property
    def subject(self) -> str:
        return f"{self.table} {self.row} {self.field}"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _event_time(event: CustodyEvent) -> datetime:
    return datetime.strptime(event.time, "%Y-%m-%dT%H:%M:%S.%fZ")


def _time_differs(moment: datetime, event: CustodyEvent) -> bool:
    return abs((moment - _event_time(event)).total_seconds()) > TIME_TOLERANCE_S


def case_mismatches(case: Case, opened: CustodyEvent | None) -> list[Mismatch]:
    """The case row against its ``case_opened`` event."""
    if opened is None or opened.action != "case_opened":
        return [Mismatch("cases", case.number, "(event)", "the case has no 'case_opened' event at seq 1")]
    recorded = json.loads(opened.payload)
    now = case.as_json()
    where = {"created_by": "created_by (examiners.name)"}
    return [
        Mismatch("cases", case.number, where.get(name, name),
                 f"case {case.number}: {name} is {_show(now.get(name))} but the case_opened event "
                 f"(seq {opened.seq}) recorded {_show(value)}")
        for name, value in recorded.items() if now.get(name) != value
    ]


def evidence_mismatches(items: Iterable[EvidenceItem], acquired: Mapping[str, CustodyEvent]) -> list[Mismatch]:
    """Each evidence row against its ``acquired`` event (``acquired``: SHA-256 -> event);
    events whose row is missing are named."""
    out: list[Mismatch] = []
    seen: set[str] = set()
    for item in items:
        seen.add(item.sha256)
        event = acquired.get(item.sha256)
        if event is None:
            continue  # named by the anchor check
        recorded = json.loads(event.payload)
        row = f"{item.label} {item.sha256[:16]}"
        now = item.as_json()

        def differs(name: str, current: Any, then: Any, event: CustodyEvent = event, row: str = row) -> None:
            out.append(Mismatch("evidence_items", row, name,
                                f"{row}: {name} is {_show(current)} but the acquired event (seq {event.seq}) "
                                f"recorded {_show(then)}"))

        for name in _EVIDENCE_FIELDS:
            if name in recorded and now[name] != recorded[name]:
                differs(name, now[name], recorded[name])
        if recorded.get("item") != item.label:
            differs("item_no", item.label, recorded.get("item"))
        if item.acquired_by != event.examiner:
            differs("acquired_by (examiners.name)", item.acquired_by, event.examiner)
        if _time_differs(item.acquired_at, event):
            differs("acquired_at", format_time(item.acquired_at), event.time)
    for sha256, event in sorted(acquired.items(), key=lambda kv: kv[1].seq):
        if sha256 not in seen:
            label = json.loads(event.payload).get("item", "?")
            out.append(Mismatch("evidence_items", f"{label} {sha256[:16]}", "(row)",
                                f"the acquired event (seq {event.seq}) records {label} ({sha256}), but the "
                                "case has no such evidence row: deleted or moved to another case"))
    return out


def finding_mismatches(findings: Iterable[StoredFinding], recorded: Mapping[str, CustodyEvent]) -> list[Mismatch]:
    """Each finding row's columns against its hashed body and its ``finding_recorded``
    event (``recorded``: finding digest -> event). Bodies that no longer match their
    digest are named by the digest check, not here."""
    out: list[Mismatch] = []
    stored = {finding.digest for finding in findings}
    for digest, orphan in sorted(recorded.items(), key=lambda kv: kv[1].seq):
        if digest not in stored:
            out.append(Mismatch("findings", digest[:16], "(row)",
                                f"the finding_recorded event (seq {orphan.seq}) records finding {digest}, but the "
                                "case has no such finding row: deleted or moved to another case"))
    for finding in findings:
        try:
            body = json.loads(finding.body)
        except ValueError:
            continue
        event = recorded.get(finding.digest)
        payload = json.loads(event.payload) if event is not None else {}
        columns = {"detector": finding.detector, "detector_version": finding.detector_version,
                   "verdict": finding.verdict, "evidence_sha256": finding.evidence_sha256}
        for name, current in columns.items():
            sources = (("its hashed body", body.get(name)), ("its finding_recorded event", payload.get(name)))
            for source, value in sources:
                if value is not None and current != value:
                    field = "evidence_id" if name == "evidence_sha256" else name
                    out.append(Mismatch("findings", finding.digest[:16], field,
                                        f"finding {finding.digest[:16]}: {name} is {_show(current)} but {source} "
                                        f"says {_show(value)}"))
        if event is not None and _time_differs(finding.recorded_at, event):
            out.append(Mismatch("findings", finding.digest[:16], "recorded_at",
                                f"finding {finding.digest[:16]}: recorded_at is {format_time(finding.recorded_at)} "
                                f"but its finding_recorded event (seq {event.seq}) is at {event.time}"))
    return out
