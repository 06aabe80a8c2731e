"""Case, examiner, evidence and custody records as read back from the case database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from forensics.canonical import canonical_json, chain_hash, sha256_hex


def format_time(moment: datetime) -> str:
    """UTC time as written into hashes: ISO 8601 with microseconds and 'Z'.

    Naive datetimes are taken to be UTC already (that is how the database stores them).
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Case:
    """An investigation; its number names its folder under the case root."""

    number: str  #: case number, unique, [A-Za-z0-9._-]
    title: str  #: short title
    description: str  #: free text, may be empty
    requested_by: str  #: requesting party (court, agency, client), may be empty
    status: str  #: "open" or "closed"
    created_at: datetime  #: when it was opened (naive UTC)
    created_by: str  #: examiner who opened it

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "description": self.description,
            "requested_by": self.requested_by,
            "status": self.status,
            "created_at": format_time(self.created_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class EvidenceItem:
    """One acquired file: its identity is its SHA-256 within a case."""

    case_number: str  #: the case it belongs to
    item_no: int  #: 1, 2, 3 ... within the case, in order of acquisition ("E1")
    sha256: str  #: hex SHA-256 of the content; also its file name in the store
    sha1: str  #: hex SHA-1, for tools that still ask for it
    md5: str  #: hex MD5, for tools that still ask for it
    size: int  #: bytes
    media_type: str  #: MIME type sniffed from content (libmagic), not from the name
    original_name: str  #: file name at acquisition
    original_path: str  #: absolute path at acquisition
    acquired_at: datetime  #: naive UTC
    acquired_by: str  #: examiner name
    note: str  #: examiner's note, may be empty

    @property
    def label(self) -> str:
        return f"E{self.item_no}"

    @property
    def kind(self) -> str:
        """'image', 'video' or 'other', from the media type."""
        major = self.media_type.split("/", 1)[0]
        return major if major in ("image", "video") else "other"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.label,
            "case": self.case_number,
            "sha256": self.sha256,
            "sha1": self.sha1,
            "md5": self.md5,
            "size": self.size,
            "media_type": self.media_type,
            "original_name": self.original_name,
            "original_path": self.original_path,
            "acquired_at": format_time(self.acquired_at),
            "acquired_by": self.acquired_by,
            "note": self.note,
        }


def chain_fields(
    case_number: str,
    seq: int,
    time: str,
    examiner: str,
    action: str,
    subject_digest: str,
    payload_digest: str,
) -> dict[str, Any]:
    """The canonical event that a custody hash covers."""
    return {
        "case": case_number,
        "seq": seq,
        "time": time,
        "examiner": examiner,
        "action": action,
        "subject_digest": subject_digest,
        "payload_digest": payload_digest,
    }


@dataclass(frozen=True)
class CustodyEvent:
    """One link of a case's custody chain.

    ``hash = SHA-256(prev_hash || canonical(chain fields))``, the chain fields being
    case, seq, time, examiner, action, subject_digest and payload_digest.
    """

    case_number: str  #: the case whose chain this is
    seq: int  #: 1, 2, 3 ... without gaps
    time: str  #: UTC, ISO 8601 with microseconds and "Z", exactly as hashed
    examiner: str  #: who acted
    action: str  #: e.g. "case_opened", "acquired", "finding_recorded", "report_signed"
    subject_digest: str  #: SHA-256 of what was acted on (evidence, finding, report)
    payload_digest: str  #: SHA-256 of the canonical payload
    payload: str  #: canonical JSON with the action's details
    prev_hash: str  #: hash of event seq-1 (64 zeros for seq 1)
    hash: str  #: this link's hash

    def chain_fields(self) -> dict[str, Any]:
        """The fields covered by the hash."""
        return chain_fields(
            self.case_number,
            self.seq,
            self.time,
            self.examiner,
            self.action,
            self.subject_digest,
            self.payload_digest,
        )

    def as_json(self) -> dict[str, Any]:
        out = self.chain_fields()
        out.update(prev_hash=self.prev_hash, hash=self.hash, payload=self.payload)
        return out


@dataclass(frozen=True)
class NewLink:
    """The values of an event about to be appended, with its hash computed."""

    seq: int
    time: str
    payload: str
    payload_digest: str
    prev_hash: str
    hash: str


def make_link(
    *,
    case_number: str,
    seq: int,
    time: datetime,
    examiner: str,
    action: str,
    subject_digest: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> NewLink:
    """Compute the next link of a chain."""
    payload_text = canonical_json(payload)
    payload_digest = sha256_hex(payload_text.encode("utf-8"))
    time_text = format_time(time)
    fields = chain_fields(case_number, seq, time_text, examiner, action, subject_digest, payload_digest)
    return NewLink(
        seq=seq,
        time=time_text,
        payload=payload_text,
        payload_digest=payload_digest,
        prev_hash=prev_hash,
        hash=chain_hash(prev_hash, fields),
    )
