"""Plain records the repository returns, and the conversions from table rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from forensics.model import Case, CustodyEvent, EvidenceItem, Finding
from forensics.model.records import format_time
from forensics.storage.tables import (
    CaseRow,
    CustodyEventRow,
    EvidenceRow,
    ExaminerCertificateRow,
)


@dataclass(frozen=True)
class Acquisition:
    """What intake measured about one file, ready to be recorded."""

    sha256: str
    sha1: str
    md5: str
    size: int
    media_type: str
    original_name: str
    original_path: str


@dataclass(frozen=True)
class StoredFinding:
    """A finding as stored: its digest, canonical body and when it was first recorded."""

    digest: str  #: SHA-256 of body
    body: str  #: canonical JSON of the finding without its digest
    evidence_sha256: str
    evidence_label: str
    detector: str
    detector_version: str
    verdict: str
    recorded_at: datetime

    def as_json(self) -> dict[str, Any]:
        out = json.loads(self.body)
        out["digest"] = self.digest
        return out

    @property
    def finding(self) -> Finding:
        """The stored finding as the detector made it (artifacts as references).

        Raises ``ValueError`` (or ``KeyError``) for a body that was altered out of shape;
        `forensics verify` names such a finding by its digest first."""
        return Finding.from_json(json.loads(self.body))


def _to_case(row: CaseRow, created_by: str) -> Case:
    return Case(
        number=row.number,
        title=row.title,
        description=row.description,
        requested_by=row.requested_by,
        status=row.status,
        created_at=row.created_at,
        created_by=created_by,
    )


def _to_evidence(row: EvidenceRow, case_number: str, acquired_by: str) -> EvidenceItem:
    return EvidenceItem(
        case_number=case_number,
        item_no=row.item_no,
        sha256=row.sha256,
        sha1=row.sha1,
        md5=row.md5,
        size=row.size,
        media_type=row.media_type,
        original_name=row.original_name,
        original_path=row.original_path,
        acquired_at=row.acquired_at,
        acquired_by=acquired_by,
        note=row.note,
    )


def _to_event(row: CustodyEventRow, case_number: str) -> CustodyEvent:
    return CustodyEvent(
        case_number=case_number,
        seq=row.seq,
        time=row.time,
        examiner=row.examiner,
        action=row.action,
        subject_digest=row.subject_digest,
        payload_digest=row.payload_digest,
        payload=row.payload,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


@dataclass(frozen=True)
class ExaminerCertificate:
    """A registered signing certificate of an examiner."""

    examiner: str  #: examiner name
    fingerprint_sha256: str  #: hex SHA-256 of the DER certificate
    subject: str  #: RFC 4514 subject
    certificate_pem: str  #: the certificate, PEM
    created_at: datetime  #: when it was registered (naive UTC)

    def as_json(self) -> dict[str, Any]:
        return {
            "examiner": self.examiner,
            "fingerprint_sha256": self.fingerprint_sha256,
            "subject": self.subject,
            "created_at": format_time(self.created_at),
        }


def _to_certificate(row: ExaminerCertificateRow, examiner: str) -> ExaminerCertificate:
    return ExaminerCertificate(
        examiner=examiner,
        fingerprint_sha256=row.fingerprint_sha256,
        subject=row.subject,
        certificate_pem=row.certificate_pem,
        created_at=row.created_at,
    )
