"""The work ledger: which units of a case's distributed analysis are queued, running,
done or failed.

Operational state, not evidence (findings and custody events are): rows are updated in
place. The step that makes a unit done is in ``Repository.record_findings``, in the same
transaction as its findings, so a unit is done exactly when its findings are recorded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from forensics.errors import CaseError
from forensics.model.work import UnitState, UnitStatus, WorkUnit
from forensics.storage.repository import utcnow
from forensics.storage.tables import CaseRow, EvidenceRow, WorkUnitRow


@dataclass(frozen=True)
class Queued:
    """What `queue` changed, so that a failed send can be undone."""

    units: tuple[WorkUnit, ...]  #: every unit not yet done: these are to be sent
    inserted: tuple[int, ...]  #: ledger rows created by this call
    previous: tuple[tuple[int, str], ...]  #: (row id, state) of rows set back to queued


class WorkLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def queue(self, case_number: str, units: Sequence[WorkUnit], queued_by: str,
              dependent: Sequence[WorkUnit] = ()) -> Queued:
        """Mark every unit that is not done as queued by ``queued_by``; done units are
        left alone (re-running a queued analysis sends only what is missing).
        ``dependent`` units (a combiner's, made from an item's other findings) are
        queued again, done or not, for every item that has another unit to send."""
        with Session(self.engine) as session, session.begin():
            case_id, evidence_ids = _case_and_items(session, case_number)
            rows = {(r.evidence_id, r.method, r.method_version, r.config_digest): r
                    for r in session.scalars(select(WorkUnitRow).where(WorkUnitRow.case_id == case_id))}
            to_send: list[WorkUnit] = []
            inserted: list[int] = []
            previous: list[tuple[int, str]] = []
            now = utcnow()
            pending: set[str] = set()  # items with a unit to send
            dependents = set(dependent)
            for unit in [*units, *dependent]:
                evidence_id = evidence_ids.get(unit.evidence_sha256)
                if evidence_id is None:
                    raise CaseError(f"case {case_number!r} has no evidence {unit.evidence_sha256}")
                row = rows.get((evidence_id, unit.method, unit.method_version, unit.config_digest))
                done = row is not None and row.state == UnitState.DONE
                if done and not (unit in dependents and unit.evidence_sha256 in pending):
                    continue
                pending.add(unit.evidence_sha256)
                if row is None:
                    row = WorkUnitRow(case_id=case_id, evidence_id=evidence_id, method=unit.method,
                                      method_version=unit.method_version,
                                      config_digest=unit.config_digest, state=UnitState.QUEUED,
                                      queued_by=queued_by, queued_at=now, attempts=0, worker="",
                                      finding_digests="[]", reason="")
                    session.add(row)
                    session.flush()
                    inserted.append(row.id)
                else:
                    previous.append((row.id, row.state))
                    row.state, row.queued_by, row.queued_at = UnitState.QUEUED, queued_by, now
                to_send.append(unit)
            return Queued(tuple(to_send), tuple(inserted), tuple(previous))

    def revert(self, queued: Queued) -> None:
        """Undo ``queue`` after its units could not be sent: nothing stays recorded."""
        with Session(self.engine) as session, session.begin():
            if queued.inserted:
                session.execute(delete(WorkUnitRow).where(WorkUnitRow.id.in_(queued.inserted)))
            for row_id, state in queued.previous:
                session.execute(update(WorkUnitRow).where(WorkUnitRow.id == row_id,
                                                          WorkUnitRow.state == UnitState.QUEUED)
                                .values(state=state))

    def start(self, case_number: str, unit: WorkUnit, worker: str) -> bool:
        """Mark a unit running on ``worker``; False when it is done already (a
        redelivered or duplicated message: nothing is to be run)."""
        with Session(self.engine) as session, session.begin():
            row = _row(session, case_number, unit)
            if row is None:  # sent without a ledger row: record_findings creates it
                return True
            if row.state == UnitState.DONE:
                return False
            row.state, row.started_at, row.worker = UnitState.RUNNING, utcnow(), worker
            row.attempts += 1
            return True

    def fail(self, case_number: str, unit: WorkUnit, reason: str, worker: str) -> None:
        """Mark a unit failed with the reason (never a done unit)."""
        with Session(self.engine) as session, session.begin():
            row = _row(session, case_number, unit)
            if row is None or row.state == UnitState.DONE:
                return
            row.state, row.reason, row.worker = UnitState.FAILED, reason, worker
            row.finished_at = utcnow()

    def statuses(self, case_number: str) -> list[UnitStatus]:
        """Every unit of a case, by item then method."""
        with Session(self.engine) as session:
            case_id, _ = _case_and_items(session, case_number)
            rows = session.execute(
                select(WorkUnitRow, EvidenceRow.sha256, EvidenceRow.item_no)
                .join(EvidenceRow, WorkUnitRow.evidence_id == EvidenceRow.id)
                .where(WorkUnitRow.case_id == case_id)
                .order_by(EvidenceRow.item_no, WorkUnitRow.method)
            ).all()
            return [
                UnitStatus(
                    unit=WorkUnit(sha, row.method, row.method_version, row.config_digest),
                    evidence_label=f"E{item_no}",
                    state=UnitState(row.state),
                    queued_by=row.queued_by,
                    worker=row.worker,
                    attempts=row.attempts,
                    reason=row.reason,
                    finding_digests=tuple(json.loads(row.finding_digests)),
                )
                for row, sha, item_no in rows
            ]

    def item_statuses(self, case_number: str, evidence_sha256: str) -> list[UnitStatus]:
        return [s for s in self.statuses(case_number) if s.unit.evidence_sha256 == evidence_sha256]


def _case_and_items(session: Session, case_number: str) -> tuple[int, dict[str, int]]:
    case_id = session.scalars(select(CaseRow.id).where(CaseRow.number == case_number)).first()
    if case_id is None:
        raise CaseError(f"no case {case_number!r}")
    items = session.execute(
        select(EvidenceRow.sha256, EvidenceRow.id).where(EvidenceRow.case_id == case_id)
    ).all()
    return case_id, {str(sha): int(evidence_id) for sha, evidence_id in items}


def _row(session: Session, case_number: str, unit: WorkUnit) -> WorkUnitRow | None:
    return session.scalars(
        select(WorkUnitRow)
        .join(EvidenceRow, WorkUnitRow.evidence_id == EvidenceRow.id)
        .join(CaseRow, WorkUnitRow.case_id == CaseRow.id)
        .where(CaseRow.number == case_number, EvidenceRow.sha256 == unit.evidence_sha256,
               WorkUnitRow.method == unit.method, WorkUnitRow.method_version == unit.method_version,
               WorkUnitRow.config_digest == unit.config_digest)
        .with_for_update(of=WorkUnitRow)
    ).one_or_none()
