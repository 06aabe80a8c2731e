"""The one place that writes to the case database.

Every write runs in one transaction that first locks the case (``SELECT ... FOR
UPDATE`` on the case row; SQLite's ``BEGIN IMMEDIATE`` does the same for the whole
file), then appends its custody event after the current chain head. So several
processes writing to one case produce one linear chain, and a failure leaves nothing
half-recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from forensics.canonical import ZERO_DIGEST, canonical_json
from forensics.errors import CaseError, ConfigurationError, SigningError
from forensics.model import Case, CustodyEvent, EvidenceItem, Finding
from forensics.model.records import make_link
from forensics.model.validation import ValidationRecord
from forensics.model.work import UnitState, WorkUnit
from forensics.storage.records import (
    Acquisition,
    ExaminerCertificate,
    StoredFinding,
    _to_case,
    _to_certificate,
    _to_event,
    _to_evidence,
)
from forensics.storage.tables import (
    CaseRow,
    CustodyEventRow,
    EvidenceRow,
    ExaminerCertificateRow,
    ExaminerRow,
    FindingRow,
    ValidationRecordRow,
    WorkUnitRow,
)

CASE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
T = TypeVar("T")


def utcnow() -> datetime:
    """Naive UTC with microseconds: how every time is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def check_case_number(number: str) -> str:
    if not CASE_NUMBER.match(number):
        raise CaseError(
            f"case number {number!r} is not valid: use letters, digits, '.', '_' and '-' "
            "(it names the case's folder)"
        )
    return number


def check_examiner(name: str | None) -> str:
    if not name or not name.strip():
        raise ConfigurationError(
            "no examiner given: every action is recorded with who did it; "
            "use --examiner NAME or set FORENSICS_EXAMINER"
        )
    return name.strip()


class Repository:
    """Reads and writes cases, evidence, findings and custody events."""

    # A concurrent writer on PostgreSQL may still collide on the unique (case, seq)
    # before the lock is seen (e.g. a case created in the same instant); retry then.
    MAX_ATTEMPTS = 5

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- transactions ---------------------------------------------------------------

    def _write(self, work: Callable[[Session], T]) -> T:
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            try:
                with Session(self.engine, expire_on_commit=False) as session, session.begin():
                    return work(session)
            except OperationalError as exc:  # e.g. serialization failure, deadlock
                if attempt == self.MAX_ATTEMPTS or "deadlock" not in str(exc).lower():
                    raise
        raise AssertionError("unreachable")

    def _lock_case(self, session: Session, number: str) -> CaseRow:
        row = session.scalars(
            select(CaseRow).where(CaseRow.number == number).with_for_update()
        ).one_or_none()
        if row is None:
            raise CaseError(f"no case {number!r}; open it with `forensics case open {number}`")
        return row

    def _examiner_id(self, session: Session, name: str) -> int:
        row = session.scalars(select(ExaminerRow).where(ExaminerRow.name == name)).one_or_none()
        if row is None:
            row = ExaminerRow(name=name, created_at=utcnow())
            session.add(row)
            session.flush()
        return row.id

    def _append(
        self,
        session: Session,
        case: CaseRow,
        examiner: str,
        action: str,
        subject_digest: str,
        payload: dict[str, Any],
    ) -> CustodyEventRow:
        """Append one event after the current head; the caller holds the case lock."""
        head = session.execute(
            select(CustodyEventRow.seq, CustodyEventRow.hash)
            .where(CustodyEventRow.case_id == case.id)
            .order_by(CustodyEventRow.seq.desc())
            .limit(1)
        ).one_or_none()
        seq, prev = (head[0] + 1, head[1]) if head else (1, ZERO_DIGEST)
        link = make_link(
            case_number=case.number,
            seq=seq,
            time=utcnow(),
            examiner=examiner,
            action=action,
            subject_digest=subject_digest,
            payload=payload,
            prev_hash=prev,
        )
        row = CustodyEventRow(
            case_id=case.id,
            seq=link.seq,
            time=link.time,
            examiner=examiner,
            action=action,
            subject_digest=subject_digest,
            payload_digest=link.payload_digest,
            payload=link.payload,
            prev_hash=link.prev_hash,
            hash=link.hash,
        )
        session.add(row)
        session.flush()
        return row

    # -- cases ------------------------------------------------------------------------

    def open_case(
        self,
        number: str,
        *,
        title: str,
        examiner: str,
        description: str = "",
        requested_by: str = "",
    ) -> Case:
        number = check_case_number(number)
        examiner = check_examiner(examiner)

        def work(session: Session) -> Case:
            if session.scalars(select(CaseRow.id).where(CaseRow.number == number)).first():
                raise CaseError(f"case {number!r} already exists")
            row = CaseRow(
                number=number,
                title=title,
                description=description,
                requested_by=requested_by,
                status="open",
                created_at=utcnow(),
                created_by_id=self._examiner_id(session, examiner),
            )
            session.add(row)
            try:
                session.flush()
            except DBIntegrityError:
                raise CaseError(f"case {number!r} already exists") from None
            case = _to_case(row, examiner)
            self._append(session, row, examiner, "case_opened", ZERO_DIGEST, case.as_json())
            return case

        return self._write(work)

    def append_event(
        self,
        number: str,
        *,
        examiner: str,
        action: str,
        subject_digest: str,
        payload: dict[str, Any],
    ) -> CustodyEvent:
        """Append a free-standing event (e.g. "report_signed") to a case's chain."""
        examiner = check_examiner(examiner)

        def work(session: Session) -> CustodyEvent:
            case = self._lock_case(session, number)
            self._examiner_id(session, examiner)
            return _to_event(
                self._append(session, case, examiner, action, subject_digest, payload), number
            )

        return self._write(work)

    def get_case(self, number: str) -> Case:
        with Session(self.engine) as session:
            row = session.execute(
                select(CaseRow, ExaminerRow.name)
                .join(ExaminerRow, CaseRow.created_by_id == ExaminerRow.id)
                .where(CaseRow.number == number)
            ).one_or_none()
            if row is None:
                raise CaseError(f"no case {number!r}")
            return _to_case(row[0], row[1])

    def list_cases(self) -> list[Case]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(CaseRow, ExaminerRow.name)
                .join(ExaminerRow, CaseRow.created_by_id == ExaminerRow.id)
                .order_by(CaseRow.number)
            ).all()
            return [_to_case(case, name) for case, name in rows]

    def case_counts(self, number: str) -> dict[str, int]:
        with Session(self.engine) as session:
            case_id = session.scalars(select(CaseRow.id).where(CaseRow.number == number)).one()
            def count(table: type[EvidenceRow] | type[FindingRow] | type[CustodyEventRow]) -> int:
                return session.scalar(
                    select(func.count()).select_from(table).where(table.case_id == case_id)
                ) or 0

            return {
                "evidence": count(EvidenceRow),
                "findings": count(FindingRow),
                "events": count(CustodyEventRow),
            }

    # -- evidence ---------------------------------------------------------------------

    def record_acquisition(
        self, number: str, acquisition: Acquisition, *, examiner: str, note: str = ""
    ) -> tuple[EvidenceItem, bool]:
        """Record an acquired file; identical content already in the case adds an event only.

        Returns the evidence item and whether it is new.
        """
        examiner = check_examiner(examiner)

        def work(session: Session) -> tuple[EvidenceItem, bool]:
            case = self._lock_case(session, number)
            examiner_id = self._examiner_id(session, examiner)
            payload = {
                "sha256": acquisition.sha256,
                "sha1": acquisition.sha1,
                "md5": acquisition.md5,
                "size": acquisition.size,
                "media_type": acquisition.media_type,
                "original_name": acquisition.original_name,
                "original_path": acquisition.original_path,
                "note": note,
            }
            existing = session.execute(
                select(EvidenceRow, ExaminerRow.name)
                .join(ExaminerRow, EvidenceRow.acquired_by_id == ExaminerRow.id)
                .where(EvidenceRow.case_id == case.id, EvidenceRow.sha256 == acquisition.sha256)
            ).one_or_none()
            if existing is not None:
                row, acquired_by = existing
                payload["item"] = f"E{row.item_no}"
                self._append(session, case, examiner, "reacquired", acquisition.sha256, payload)
                return _to_evidence(row, number, acquired_by), False
            item_no = 1 + (
                session.scalar(
                    select(func.max(EvidenceRow.item_no)).where(EvidenceRow.case_id == case.id)
                )
                or 0
            )
            row = EvidenceRow(
                case_id=case.id,
                item_no=item_no,
                acquired_at=utcnow(),
                acquired_by_id=examiner_id,
                note=note,
                **vars(acquisition),
            )
            session.add(row)
            session.flush()
            payload["item"] = f"E{item_no}"
            self._append(session, case, examiner, "acquired", acquisition.sha256, payload)
            return _to_evidence(row, number, examiner), True

        return self._write(work)

    def list_evidence(self, number: str) -> list[EvidenceItem]:
        with Session(self.engine) as session:
            case_id = self._case_id(session, number)
            rows = session.execute(
                select(EvidenceRow, ExaminerRow.name)
                .join(ExaminerRow, EvidenceRow.acquired_by_id == ExaminerRow.id)
                .where(EvidenceRow.case_id == case_id)
                .order_by(EvidenceRow.item_no)
            ).all()
            return [_to_evidence(row, number, name) for row, name in rows]

    def get_evidence(self, number: str, sha256: str) -> EvidenceItem:
        """One item of a case by its SHA-256."""
        with Session(self.engine) as session:
            case_id = self._case_id(session, number)
            row = session.execute(
                select(EvidenceRow, ExaminerRow.name)
                .join(ExaminerRow, EvidenceRow.acquired_by_id == ExaminerRow.id)
                .where(EvidenceRow.case_id == case_id, EvidenceRow.sha256 == sha256)
            ).one_or_none()
            if row is None:
                raise CaseError(f"case {number!r} has no evidence {sha256}")
            return _to_evidence(row[0], number, row[1])

    def _case_id(self, session: Session, number: str) -> int:
        case_id = session.scalars(select(CaseRow.id).where(CaseRow.number == number)).first()
        if case_id is None:
            raise CaseError(f"no case {number!r}")
        return case_id

    # -- findings ---------------------------------------------------------------------

    def record_findings(
        self,
        number: str,
        evidence_sha256: str,
        findings: Sequence[Finding],
        *,
        examiner: str,
        before_commit: Callable[[], None] | None = None,
        unit: WorkUnit | None = None,
        host: str = "",
    ) -> list[tuple[str, bool]] | None:
        """Store findings about one evidence item in one transaction.

        A finding whose digest is already stored for that item is not stored twice: a
        "finding_rerun" event records that the same result was reproduced. Returns
        (digest, is_new) per finding. ``before_commit`` runs inside the transaction
        (the pipeline writes artifact files there).

        With ``unit`` (queued work) the unit's ledger row is the guard: found done, the
        call records nothing and returns None (a redelivered or duplicated unit), else
        it is marked done in the same transaction. ``host`` (the worker) goes into
        each event's payload.
        """
        examiner = check_examiner(examiner)

        def work(session: Session) -> list[tuple[str, bool]] | None:
            case = self._lock_case(session, number)
            self._examiner_id(session, examiner)
            evidence_id = session.scalars(
                select(EvidenceRow.id).where(
                    EvidenceRow.case_id == case.id, EvidenceRow.sha256 == evidence_sha256
                )
            ).first()
            if evidence_id is None:
                raise CaseError(f"case {number!r} has no evidence {evidence_sha256}")
            ledger_row = None
            if unit is not None:
                ledger_row = _unit_row(session, evidence_id, unit, lock=True)
                if ledger_row is not None and ledger_row.state == UnitState.DONE:
                    return None
            results = []
            for finding in findings:
                body = canonical_json(finding.as_json(with_digest=False))
                finding_digest = finding.digest
                known = session.scalars(
                    select(FindingRow.id).where(
                        FindingRow.evidence_id == evidence_id, FindingRow.digest == finding_digest
                    )
                ).first()
                payload = {
                    "evidence_sha256": evidence_sha256,
                    "detector": finding.detector,
                    "detector_version": finding.detector_version,
                    "config_digest": finding.config_digest,
                    "weights_digest": finding.weights_digest,
                    "verdict": finding.as_json(with_digest=False)["verdict"],
                }
                if host:
                    payload["host"] = host
                if known is None:
                    session.add(
                        FindingRow(
                            case_id=case.id,
                            evidence_id=evidence_id,
                            digest=finding_digest,
                            detector=finding.detector,
                            detector_version=finding.detector_version,
                            verdict=payload["verdict"],
                            body=body,
                            recorded_at=utcnow(),
                        )
                    )
                    session.flush()
                action = "finding_recorded" if known is None else "finding_rerun"
                self._append(session, case, examiner, action, finding_digest, payload)
                results.append((finding_digest, known is None))
            if unit is not None:
                _mark_done(session, ledger_row, case.id, evidence_id, unit, examiner, host,
                           [digest for digest, _ in results])
            if before_commit is not None:
                before_commit()
            return results

        return self._write(work)

    def list_findings(self, number: str, *, evidence_sha256: str | None = None
                      ) -> list[StoredFinding]:
        """A case's findings (optionally of one item), by item, detector and recording."""
        with Session(self.engine) as session:
            case_id = self._case_id(session, number)
            query = (
                select(FindingRow, EvidenceRow.sha256, EvidenceRow.item_no)
                .join(EvidenceRow, FindingRow.evidence_id == EvidenceRow.id)
                .where(FindingRow.case_id == case_id)
                .order_by(EvidenceRow.item_no, FindingRow.detector, FindingRow.id)
            )
            if evidence_sha256 is not None:
                query = query.where(EvidenceRow.sha256 == evidence_sha256)
            rows = session.execute(query).all()
            return [
                StoredFinding(
                    digest=row.digest,
                    body=row.body,
                    evidence_sha256=sha,
                    evidence_label=f"E{item_no}",
                    detector=row.detector,
                    detector_version=row.detector_version,
                    verdict=row.verdict,
                    recorded_at=row.recorded_at,
                )
                for row, sha, item_no in rows
            ]

    # -- custody ----------------------------------------------------------------------

    def iter_events(self, number: str, batch: int = 5000) -> Iterator[CustodyEvent]:
        """A case's custody events in seq order, streamed in batches (Core rows, no ORM
        objects, so that a chain of 100,000 events verifies in seconds)."""
        columns = CustodyEventRow.__table__.c
        with Session(self.engine) as session:
            case_id = self._case_id(session, number)
        query = (
            select(
                columns.seq, columns.time, columns.examiner, columns.action,
                columns.subject_digest, columns.payload_digest, columns.payload,
                columns.prev_hash, columns.hash,
            )
            .where(columns.case_id == case_id)
            .order_by(columns.seq)
        )
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=batch).execute(query)
            for row in result:
                yield CustodyEvent(number, *row)

    def chain_head(self, number: str) -> tuple[int, str]:
        """(seq, hash) of the last event of a case's chain; (0, zeros) when empty."""
        with Session(self.engine) as session:
            case_id = self._case_id(session, number)
            head = session.execute(
                select(CustodyEventRow.seq, CustodyEventRow.hash)
                .where(CustodyEventRow.case_id == case_id)
                .order_by(CustodyEventRow.seq.desc())
                .limit(1)
            ).one_or_none()
            return (head[0], head[1]) if head else (0, ZERO_DIGEST)

    # -- examiner certificates (private keys never reach the database) ---------------

    def record_certificate(
        self, examiner: str, *, fingerprint_sha256: str, subject: str, certificate_pem: str
    ) -> ExaminerCertificate:
        """Register an examiner's signing certificate; registering it again is a no-op.

        A certificate already registered to another examiner is refused.
        """
        examiner = check_examiner(examiner)

        def work(session: Session) -> ExaminerCertificate:
            existing = session.execute(
                select(ExaminerCertificateRow, ExaminerRow.name)
                .join(ExaminerRow, ExaminerCertificateRow.examiner_id == ExaminerRow.id)
                .where(ExaminerCertificateRow.fingerprint_sha256 == fingerprint_sha256)
            ).one_or_none()
            if existing is not None:
                row, owner = existing
                if owner != examiner:
                    raise SigningError(
                        f"certificate {fingerprint_sha256} is registered to examiner "
                        f"{owner!r}, not {examiner!r}"
                    )
                return _to_certificate(row, owner)
            row = ExaminerCertificateRow(
                examiner_id=self._examiner_id(session, examiner),
                fingerprint_sha256=fingerprint_sha256,
                subject=subject,
                certificate_pem=certificate_pem,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            return _to_certificate(row, examiner)

        return self._write(work)

    def list_certificates(self) -> list[ExaminerCertificate]:
        """Every registered certificate, by examiner then registration time."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(ExaminerCertificateRow, ExaminerRow.name)
                .join(ExaminerRow, ExaminerCertificateRow.examiner_id == ExaminerRow.id)
                .order_by(ExaminerRow.name, ExaminerCertificateRow.created_at)
            ).all()
            return [_to_certificate(row, name) for row, name in rows]

    def find_certificate(self, fingerprint_sha256: str) -> ExaminerCertificate | None:
        """The registered certificate with this fingerprint, if any."""
        with Session(self.engine) as session:
            found = session.execute(
                select(ExaminerCertificateRow, ExaminerRow.name)
                .join(ExaminerRow, ExaminerCertificateRow.examiner_id == ExaminerRow.id)
                .where(ExaminerCertificateRow.fingerprint_sha256 == fingerprint_sha256)
            ).one_or_none()
            return None if found is None else _to_certificate(found[0], found[1])

    # -- validation records -----------------------------------------------------------

    def record_validation(self, record: ValidationRecord) -> bool:
        """Keep a detector's validation record; returns False when it is already stored."""

        def work(session: Session) -> bool:
            if session.scalars(
                select(ValidationRecordRow.id).where(ValidationRecordRow.digest == record.digest)
            ).first():
                return False
            session.add(ValidationRecordRow(
                digest=record.digest,
                detector=record.detector,
                detector_version=record.detector_version,
                weights_digest=record.weights_digest,
                data_digest=record.data["manifest_digest"],
                body=canonical_json(record.as_json()),
                recorded_at=utcnow(),
            ))
            return True

        return self._write(work)

    def list_validations(self, detector: str | None = None) -> list[ValidationRecord]:
        """Stored validation records, newest first (optionally of one detector)."""
        query = select(ValidationRecordRow.body).order_by(ValidationRecordRow.id.desc())
        if detector is not None:
            query = query.where(ValidationRecordRow.detector == detector)
        with Session(self.engine) as session:
            return [ValidationRecord.from_json(json.loads(body)) for body in session.scalars(query)]


# -- the work-unit guard (the ledger's other operations: forensics/storage/ledger.py) --


def _unit_row(session: Session, evidence_id: int, unit: WorkUnit, *, lock: bool = False
              ) -> WorkUnitRow | None:
    query = select(WorkUnitRow).where(
        WorkUnitRow.evidence_id == evidence_id,
        WorkUnitRow.method == unit.method,
        WorkUnitRow.method_version == unit.method_version,
        WorkUnitRow.config_digest == unit.config_digest,
    )
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def _mark_done(session: Session, row: WorkUnitRow | None, case_id: int, evidence_id: int,
               unit: WorkUnit, examiner: str, host: str, digests: list[str]) -> None:
    now = utcnow()
    if row is None:  # a unit sent without a ledger row (e.g. by another client)
        row = WorkUnitRow(case_id=case_id, evidence_id=evidence_id, method=unit.method,
                          method_version=unit.method_version, config_digest=unit.config_digest,
                          queued_by=examiner, queued_at=now, attempts=1)
        session.add(row)
    row.state = UnitState.DONE
    row.finished_at = now
    row.worker = host
    row.finding_digests = json.dumps(digests)
    row.reason = ""
