"""Queueing a case's analysis and following it to the end."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from kombu.utils.url import maybe_sanitize_url

from forensics.detectors.base import Detector
from forensics.detectors.registry import combiners
from forensics.distributed.app import DEFAULT_QUEUE, TASK_ANALYSE_ITEM, connect
from forensics.errors import QueueError
from forensics.model import EvidenceItem
from forensics.model.work import UnitState, UnitStatus, WorkUnit
from forensics.pipeline import unit_of
from forensics.storage.ledger import Queued, WorkLedger

FINISHED = (UnitState.DONE, UnitState.FAILED)


def plan_units(items: Sequence[EvidenceItem], detectors: Sequence[Detector[Any]]
               ) -> tuple[list[WorkUnit], list[WorkUnit]]:
    """(detector units, combiner units): every applicable detector per item, and every
    registered combiner for each item that has a detector unit."""
    units = [unit_of(item.sha256, d) for item in items for d in detectors if item.kind in d.inputs]
    with_units = dict.fromkeys(u.evidence_sha256 for u in units)
    combined = [unit_of(sha, cls()) for sha in with_units for cls in combiners().values()]
    return units, combined


def enqueue(ledger: WorkLedger, broker: str, case_number: str, units: Sequence[WorkUnit],
            combined: Sequence[WorkUnit], queued_by: str, queue: str = DEFAULT_QUEUE) -> Queued:
    """Record the units not yet done as queued by ``queued_by`` and send one message per
    item. The broker is checked first; if sending fails, the ledger is put back, so a
    failed enqueue leaves nothing recorded."""
    app = connect(broker, "nothing was queued")
    queued = ledger.queue(case_number, units, queued_by, dependent=combined)
    by_item: dict[str, list[dict[str, str]]] = {}
    for unit in queued.units:
        by_item.setdefault(unit.evidence_sha256, []).append(unit.as_json())
    try:
        with app.producer_or_acquire() as producer:
            for sha, item_units in by_item.items():
                app.send_task(TASK_ANALYSE_ITEM, queue=queue, producer=producer, retry=False,
                              kwargs={"case_number": case_number, "evidence_sha256": sha,
                                      "units": item_units, "queued_by": queued_by})
    except Exception as exc:  # kombu raises per transport; all mean: not sent
        ledger.revert(queued)
        raise QueueError(f"message broker {maybe_sanitize_url(broker)} refused the work "
                         f"({type(exc).__name__}: {exc}); nothing was queued") from exc
    return queued


def wait(ledger: WorkLedger, case_number: str, queued: Queued,
         on_progress: Callable[[Counter[UnitState]], None], timeout_s: float | None = None,
         poll_s: float = 0.5) -> list[UnitStatus]:
    """Poll the ledger until every unit queued since ``queued`` is done or failed (those
    queued meanwhile by someone else included); the statuses of ``queued``'s units.
    After ``timeout_s`` a ``QueueError`` says what is still open (the work stays queued)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        counts = ledger.progress(case_number, queued.queued_at)
        on_progress(counts)
        if not counts[UnitState.QUEUED] and not counts[UnitState.RUNNING]:
            wanted = set(queued.units)
            return [s for s in ledger.statuses(case_number) if s.unit in wanted]
        if deadline is not None and time.monotonic() > deadline:
            raise QueueError(
                f"case {case_number}: after {timeout_s:g} s, {counts[UnitState.QUEUED]} units "
                f"are still queued and {counts[UnitState.RUNNING]} running (is a worker taking "
                f"this queue?); the work stays queued: `forensics status {case_number}`")
        time.sleep(poll_s)
