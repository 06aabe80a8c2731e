"""The work ledger: which units of a case's distributed analysis are queued, running,
done or failed.

Operational state, not evidence (findings and custody events are): rows are updated in
place. The step that makes a unit done is in ``Repository.record_findings``, in the same
transaction as its findings, so a unit is done exactly when its findings are recorded.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from forensics.errors import CaseError
from forensics.model.work import UnitState, UnitStatus, WorkUnit
from forensics.storage.repository import utcnow
from forensics.storage.tables import CaseRow, EvidenceRow, WorkUnitRow


@dataclass(frozen=True)
class Queued:
    """What `queue` changed, so that a failed send can be undone."""

    units: tuple[WorkUnit, ...]  #: every unit not yet done: these are to be sent
    queued_at: datetime  #: the time every one of them was marked queued
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
            return Queued(tuple(to_send), now, tuple(inserted), tuple(previous))

    def revert(self, queued: Queued) -> None:
        """Undo ``queue`` after its units could not be sent: nothing stays recorded."""
        with Session(self.engine) as session, session.begin():
            if queued.inserted:
                session.execute(delete(WorkUnitRow).where(WorkUnitRow.id.in_(queued.inserted)))
            for row_id, state in queued.previous:
                session.execute(update(WorkUnitRow).where(WorkUnitRow.id == row_id,
                                                          WorkUnitRow.state == UnitState.QUEUED)
                                .values(state=state))

    def start(self, case_number: str, units: Sequence[WorkUnit], worker: str) -> list[WorkUnit]:
        """Mark units running on ``worker``, in one transaction; the units to run, i.e.
        all but those done already (a redelivered or duplicated message)."""
        with Session(self.engine) as session, session.begin():
            rows = _rows(session, case_number, units)
            to_run = []
            for unit in units:
                row = rows.get(unit)
                if row is not None and row.state == UnitState.DONE:
                    continue
                if row is not None:  # without a row (sent by another client), recording makes it
                    row.state, row.started_at, row.worker = UnitState.RUNNING, utcnow(), worker
                    row.attempts += 1
                to_run.append(unit)
            return to_run

    def fail(self, case_number: str, unit: WorkUnit, reason: str, worker: str) -> None:
        """Mark a unit failed with the reason (never a done unit)."""
        with Session(self.engine) as session, session.begin():
            row = _rows(session, case_number, [unit]).get(unit)
            if row is None or row.state == UnitState.DONE:
                return
            row.state, row.reason, row.worker = UnitState.FAILED, reason, worker
            row.finished_at = utcnow()

    def progress(self, case_number: str, since: datetime) -> Counter[UnitState]:
        """Units per state among those queued at or after ``since`` (one query: what a
        waiting examiner polls)."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(WorkUnitRow.state, func.count())
                .join(CaseRow, WorkUnitRow.case_id == CaseRow.id)
                .where(CaseRow.number == case_number, WorkUnitRow.queued_at >= since)
                .group_by(WorkUnitRow.state)
            ).all()
            return Counter({UnitState(state): count for state, count in rows})

    def statuses(self, case_number: str, evidence_sha256: str | None = None) -> list[UnitStatus]:
        """Every unit of a case (or of one of its items), by item then method."""
        with Session(self.engine) as session:
            case_id = _case_id(session, case_number)
            query = (
                select(WorkUnitRow, EvidenceRow.sha256, EvidenceRow.item_no)
                .join(EvidenceRow, WorkUnitRow.evidence_id == EvidenceRow.id)
                .where(WorkUnitRow.case_id == case_id)
                .order_by(EvidenceRow.item_no, WorkUnitRow.method)
            )
            if evidence_sha256 is not None:
                query = query.where(EvidenceRow.sha256 == evidence_sha256)
            rows = session.execute(query).all()
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
        return self.statuses(case_number, evidence_sha256)


def _case_id(session: Session, case_number: str) -> int:
    case_id = session.scalars(select(CaseRow.id).where(CaseRow.number == case_number)).first()
    if case_id is None:
        raise CaseError(f"no case {case_number!r}")
    return case_id


def _case_and_items(session: Session, case_number: str) -> tuple[int, dict[str, int]]:
    case_id = _case_id(session, case_number)
    items = session.execute(
        select(EvidenceRow.sha256, EvidenceRow.id).where(EvidenceRow.case_id == case_id)
    ).all()
    return case_id, {str(sha): int(evidence_id) for sha, evidence_id in items}


def _rows(session: Session, case_number: str, units: Sequence[WorkUnit]) -> dict[WorkUnit, WorkUnitRow]:
    """The ledger rows of ``units`` (all of one item), locked for this transaction."""
    if not units:
        return {}
    shas = {u.evidence_sha256 for u in units}
    assert len(shas) == 1, "units of one item"
    rows = session.execute(
        select(WorkUnitRow)
        .join(EvidenceRow, WorkUnitRow.evidence_id == EvidenceRow.id)
        .join(CaseRow, WorkUnitRow.case_id == CaseRow.id)
        .where(CaseRow.number == case_number, EvidenceRow.sha256 == shas.pop(),
               WorkUnitRow.method.in_({u.method for u in units}))
        .with_for_update(of=WorkUnitRow)
    ).scalars()
    by_unit = {WorkUnit(units[0].evidence_sha256, r.method, r.method_version, r.config_digest): r
               for r in rows}
    return {u: by_unit[u] for u in units if u in by_unit}
