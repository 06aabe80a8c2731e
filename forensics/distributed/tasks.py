"""The Celery task: one evidence item's queued units, run by ``run_units``.

Each worker process opens its own database engine and keeps one ``Analyser`` (models
loaded, exiftool started) for its life, so a unit costs its analysis and a few
database round trips, not a start-up.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from celery import Task
from celery.signals import worker_process_shutdown
from sqlalchemy.exc import DBAPIError, OperationalError

from forensics.detectors.base import Combiner, Detector
from forensics.detectors.registry import combiners
from forensics.distributed.app import TASK_ANALYSE_ITEM, app
from forensics.errors import EvidenceError, IntegrityError
from forensics.evidence.store import CaseStore
from forensics.model.work import WorkUnit
from forensics.pipeline import (
    Analyser,
    Recording,
    combine_queued,
    evidence_inputs,
    run_units,
    select_detectors,
    unit_of,
)
from forensics.settings import Settings
from forensics.storage.engine import open_database
from forensics.storage.ledger import WorkLedger
from forensics.storage.repository import Repository

log = logging.getLogger(__name__)

# The database or the broker being away for a while is transient: the unit is retried
# with exponential backoff (about 10 minutes in all) instead of failing.
TRANSIENT = (OperationalError, DBAPIError, ConnectionError)
RETRIES = 10


@dataclass
class WorkerContext:
    """What one worker process holds for its life."""

    settings: Settings
    repository: Repository
    ledger: WorkLedger
    analyser: Analyser
    combiners: dict[str, Combiner[Any]]
    host: str

    @property
    def detectors(self) -> dict[str, Detector[Any]]:
        return {d.name: d for d in self.analyser.detectors}


@functools.cache
def context() -> WorkerContext:
    """Opened on the first unit, in the process that runs it (never before a fork)."""
    from forensics.nets import compute_threads, limit_threads

    limit_threads(compute_threads())  # $FORENSICS_THREADS, which `forensics worker` sets
    settings = Settings.resolve()
    engine = open_database(settings.db_url)
    analyser = Analyser(select_detectors(())).__enter__()
    return WorkerContext(
        settings=settings,
        repository=Repository(engine),
        ledger=WorkLedger(engine),
        analyser=analyser,
        combiners={name: cls() for name, cls in combiners().items()},
        host=f"{socket.gethostname()} pid {os.getpid()}",
    )


@worker_process_shutdown.connect
def _close(**_: object) -> None:
    if context.cache_info().currsize:
        context().analyser.__exit__(None, None, None)


class UnitTask(Task):
    """A task whose final failure (a bug, or a transient error outlasting its retries)
    marks its units failed with the reason, so that none stays 'running' unseen."""

    def on_failure(self, exc: BaseException, task_id: str, args: tuple[Any, ...],
                   kwargs: dict[str, Any], einfo: object) -> None:
        reason = f"the worker failed: {type(exc).__name__}: {exc}"
        try:
            ctx = context()
            for unit in kwargs["units"]:
                ctx.ledger.fail(kwargs["case_number"], WorkUnit.from_json(unit), reason, ctx.host)
        except Exception:  # the database may be what failed; Celery logs the task anyway
            log.exception("could not mark the units of task %s failed", task_id)


@app.task(name=TASK_ANALYSE_ITEM, bind=True, base=UnitTask, autoretry_for=TRANSIENT,
          retry_backoff=True, retry_backoff_max=120, max_retries=RETRIES)
def analyse_item(self: Task, case_number: str, evidence_sha256: str,
                 units: list[dict[str, str]], queued_by: str) -> None:
    """Run one item's queued units; their findings are recorded as ``queued_by``'s,
    with this worker's host in each custody event."""
    run_item_units(context(), case_number, evidence_sha256,
                   [WorkUnit.from_json(u) for u in units], queued_by)


def run_item_units(ctx: WorkerContext, case_number: str, evidence_sha256: str,
                   units: list[WorkUnit], queued_by: str) -> None:
    """The task's body (callable without a broker): detector units first, then the
    combiner units from the item's findings. A unit this worker cannot run as asked
    (another version or configuration of the method) fails with the reason; so does
    every unit of an item whose stored file is missing or changed."""
    ledger = ctx.ledger
    item = ctx.repository.get_evidence(case_number, evidence_sha256)
    store = CaseStore(ctx.settings.home, case_number)
    (evidence,) = evidence_inputs(store, [item])
    recording = Recording(ctx.repository, store, case_number, queued_by, ledger, ctx.host)
    to_run: list[Detector[Any]] = []
    to_combine: list[Combiner[Any]] = []
    for unit in units:
        detector, combiner = ctx.detectors.get(unit.method), ctx.combiners.get(unit.method)
        method = detector if detector is not None else combiner
        if method is None or unit_of(evidence_sha256, method) != unit:
            have = "no such method" if method is None else (
                f"version {method.version}, config {method.config_digest[:12]}")
            ledger.fail(case_number, unit, f"this worker cannot run {unit.method} "
                        f"{unit.method_version} (config {unit.config_digest[:12]}): it has {have}",
                        ctx.host)
        elif detector is not None:
            to_run.append(detector)
        elif combiner is not None:
            to_combine.append(combiner)
    try:
        run_units(recording, ctx.analyser, [(evidence, to_run)], {item.sha256: item.label})
    except (EvidenceError, IntegrityError) as exc:
        log.error("%s %s: %s", case_number, item.label, exc)
        for unit in units:
            ledger.fail(case_number, unit, str(exc), ctx.host)
        return
    for each in to_combine:
        combine_queued(recording, list(ctx.detectors.values()), evidence_sha256, item.label, each)
