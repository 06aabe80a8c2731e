"""SQLAlchemy tables of the case database. The schema changes only through migrations/."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so that migrations and models compare equal on
# every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DIGEST = String(64)  # hex SHA-256


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ExaminerRow(Base):
    __tablename__ = "examiners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC


class CaseRow(Base):
    """A case; its row is also the lock that serialises appends to its custody chain."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("examiners.id"))


class EvidenceRow(Base):
    __tablename__ = "evidence_items"
    __table_args__ = (
        UniqueConstraint("case_id", "sha256"),
        UniqueConstraint("case_id", "item_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item_no: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(DIGEST)
    sha1: Mapped[str] = mapped_column(String(40))
    md5: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(Text)
    original_path: Mapped[str] = mapped_column(Text)
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    acquired_by_id: Mapped[int] = mapped_column(ForeignKey("examiners.id"))
    note: Mapped[str] = mapped_column(Text, default="")


class CustodyEventRow(Base):
    """One link of a case's chain. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "custody_events"
    __table_args__ = (
        UniqueConstraint("case_id", "seq"),
        UniqueConstraint("case_id", "prev_hash"),  # a fork would reuse a prev_hash
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    time: Mapped[str] = mapped_column(String(32))  # exactly the text that was hashed
    examiner: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    subject_digest: Mapped[str] = mapped_column(DIGEST)
    payload_digest: Mapped[str] = mapped_column(DIGEST)
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(DIGEST)
    hash: Mapped[str] = mapped_column(DIGEST, unique=True)


class FindingRow(Base):
    """A detector's finding about one evidence item, stored as its canonical JSON."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("evidence_id", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    digest: Mapped[str] = mapped_column(DIGEST)
    detector: Mapped[str] = mapped_column(String(100))
    detector_version: Mapped[str] = mapped_column(String(50))
    verdict: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # canonical JSON without the digest
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class ExaminerCertificateRow(Base):
    """An examiner's signing certificate (the private key is never stored here)."""

    __tablename__ = "examiner_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("examiners.id"), index=True)
    fingerprint_sha256: Mapped[str] = mapped_column(DIGEST, unique=True)
    subject: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ValidationRecordRow(Base):
    """A detector validation (forensics validate): metrics and calibration, as JSON."""

    __tablename__ = "validation_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(DIGEST, unique=True)
    detector: Mapped[str] = mapped_column(String(100), index=True)
    detector_version: Mapped[str] = mapped_column(String(50))
    weights_digest: Mapped[str | None] = mapped_column(DIGEST, nullable=True)
    data_digest: Mapped[str] = mapped_column(DIGEST)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON of the record
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class WorkUnitRow(Base):
    """One unit of queued work: (evidence item, method, version, config digest).

    Operational state of a distributed analysis, not evidence: what a unit produced is
    recorded as findings and custody events. Updated in place as the unit moves from
    queued to running to done or failed; the row is also the exactly-once guard (a unit
    found done records nothing new).
    """

    __tablename__ = "work_units"
    __table_args__ = (
        UniqueConstraint("evidence_id", "method", "method_version", "config_digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"))
    method: Mapped[str] = mapped_column(String(100))
    method_version: Mapped[str] = mapped_column(String(50))
    config_digest: Mapped[str] = mapped_column(DIGEST)
    state: Mapped[str] = mapped_column(String(20))  #: queued | running | done | failed
    queued_by: Mapped[str] = mapped_column(String(200))  #: the examiner who queued it
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    worker: Mapped[str] = mapped_column(String(300), default="")  #: host and process
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    finding_digests: Mapped[str] = mapped_column(Text, default="[]")  #: JSON list
    reason: Mapped[str] = mapped_column(Text, default="")  #: why it failed
