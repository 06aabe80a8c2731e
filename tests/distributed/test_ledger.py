"""Queued work without a broker: the task body (``run_item_units``) against the ledger,
on both backends. Exactly-once effect, redelivery, refusals and re-queueing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from forensics.detectors.registry import combiners
from forensics.distributed.enqueue import plan_units
from forensics.distributed.tasks import WorkerContext, run_item_units
from forensics.intake import Intake
from forensics.model.work import UnitState, WorkUnit
from forensics.pipeline import Analyser, analyze_case, select_detectors
from forensics.settings import Settings
from forensics.storage.ledger import WorkLedger
from forensics.storage.repository import Repository
from forensics.verify import verify_case
from tests.conftest import EXAMINER

DETECTORS = ("frequency", "structure")
QUEUED_BY = "Queueing Examiner"


@pytest.fixture
def worker(repository: Repository, home: Path, db_url: str) -> Iterator[WorkerContext]:
    with Analyser(select_detectors(DETECTORS)) as analyser:
        yield WorkerContext(
            settings=Settings(home=home, db_url=db_url), repository=repository,
            ledger=WorkLedger(repository.engine), analyser=analyser,
            combiners={name: cls() for name, cls in combiners().items()}, host="test-host pid 1",
        )


@pytest.fixture
def acquired(repository: Repository, home: Path, case_number: str, evidence_dir: Path) -> str:
    Intake(repository, home, case_number).acquire([evidence_dir], examiner=EXAMINER)
    return case_number


def queue_all(ctx: WorkerContext, case: str) -> dict[str, list[WorkUnit]]:
    """Queue every unit of the case; the units per item, as the messages carry them."""
    items = ctx.repository.list_evidence(case)
    units, combined = plan_units(items, list(ctx.detectors.values()))
    queued = ctx.ledger.queue(case, units, QUEUED_BY, dependent=combined)
    by_item: dict[str, list[WorkUnit]] = {}
    for unit in queued.units:
        by_item.setdefault(unit.evidence_sha256, []).append(unit)
    return by_item


def deliver(ctx: WorkerContext, case: str, by_item: dict[str, list[WorkUnit]]) -> None:
    for sha, units in by_item.items():
        run_item_units(ctx, case, sha, units, QUEUED_BY)


def test_queued_units_record_the_in_process_findings_once(worker, acquired, repository, home):
    by_item = queue_all(worker, acquired)
    assert sum(len(u) for u in by_item.values()) == 2 * (len(DETECTORS) + 1)  # + fusion per item
    deliver(worker, acquired, by_item)
    states = {s.state for s in worker.ledger.statuses(acquired)}
    assert states == {UnitState.DONE}
    queued_digests = sorted(f.digest for f in repository.list_findings(acquired))

    repository.open_case("2026-0002", title="in-process twin", examiner=EXAMINER)
    Intake(repository, home, "2026-0002").acquire([home.parent / "originals"], examiner=EXAMINER)
    analyze_case(repository, home, "2026-0002", examiner=EXAMINER, detector_names=DETECTORS)
    assert sorted(f.digest for f in repository.list_findings("2026-0002")) == queued_digests

    recorded = [e for e in repository.iter_events(acquired) if e.action == "finding_recorded"]
    assert len(recorded) == len(queued_digests)
    assert {e.examiner for e in recorded} == {QUEUED_BY}  # who queued it, not the worker
    assert all('"host":"test-host pid 1"' in e.payload for e in recorded)

    events_before = len(list(repository.iter_events(acquired)))
    deliver(worker, acquired, by_item)  # every message delivered a second time
    assert len(list(repository.iter_events(acquired))) == events_before
    assert sorted(f.digest for f in repository.list_findings(acquired)) == queued_digests
    assert verify_case(repository, home, acquired).ok


def test_a_unit_interrupted_mid_run_is_redone_once(worker, acquired, repository):
    by_item = queue_all(worker, acquired)
    sha, units = next(iter(by_item.items()))
    worker.ledger.start(acquired, units[:1], "killed-host pid 2")  # then the worker died
    assert worker.ledger.item_statuses(acquired, sha)[0].state == UnitState.RUNNING
    deliver(worker, acquired, by_item)  # the broker's redelivery
    redone = next(s for s in worker.ledger.statuses(acquired) if s.unit == units[0])
    assert (redone.state, redone.attempts, redone.worker) == (UnitState.DONE, 2, "test-host pid 1")
    digests = [f.digest for f in repository.list_findings(acquired)]
    assert len(digests) == len(set(digests))
    assert not [e for e in repository.iter_events(acquired) if e.action == "finding_rerun"]


def test_a_unit_of_another_build_fails_with_the_reason(worker, acquired, repository):
    sha = repository.list_evidence(acquired)[0].sha256
    frequency = worker.detectors["frequency"]
    other = WorkUnit(sha, "frequency", "99.0.0", frequency.config_digest)
    worker.ledger.queue(acquired, [other], QUEUED_BY)
    run_item_units(worker, acquired, sha, [other], QUEUED_BY)
    (status,) = worker.ledger.statuses(acquired)
    assert status.state == UnitState.FAILED
    assert status.reason == (f"this worker cannot run frequency 99.0.0 (config "
                             f"{frequency.config_digest[:12]}): it has version {frequency.version}, "
                             f"config {frequency.config_digest[:12]}")
    assert repository.list_findings(acquired) == []


def test_a_changed_stored_file_fails_its_units_and_records_nothing(worker, acquired, repository, home):
    by_item = queue_all(worker, acquired)
    sha = next(iter(by_item))
    stored = home / acquired / "evidence" / sha
    os.chmod(stored, 0o600)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    run_item_units(worker, acquired, sha, by_item[sha], QUEUED_BY)
    failed = worker.ledger.item_statuses(acquired, sha)
    assert {s.state for s in failed} == {UnitState.FAILED}
    assert all(s.reason.startswith(f"{stored}: stored evidence has SHA-256 ") and
               s.reason.endswith(f"recorded {sha}; not analysed (run `forensics verify` on the case)")
               for s in failed)
    assert repository.list_findings(acquired) == []


def test_queueing_again_sends_only_what_is_missing(worker, acquired):
    by_item = queue_all(worker, acquired)
    first_sha, second_sha = by_item
    deliver(worker, acquired, {first_sha: by_item[first_sha]})
    again = queue_all(worker, acquired)
    assert list(again) == [second_sha]  # the first item is done
    one = by_item[second_sha][0]
    assert one in again[second_sha]
    deliver(worker, acquired, again)
    assert queue_all(worker, acquired) == {}


def test_the_fusion_waits_for_the_items_detector_units(worker, acquired):
    by_item = queue_all(worker, acquired)
    sha, units = next(iter(by_item.items()))
    fusion = [u for u in units if u.method == "fusion"]
    run_item_units(worker, acquired, sha, fusion, QUEUED_BY)  # delivered before its inputs
    (status,) = [s for s in worker.ledger.item_statuses(acquired, sha) if s.unit in fusion]
    assert status.state == UnitState.FAILED
    assert status.reason == "detector units not done: frequency (queued), structure (queued)"
    again = queue_all(worker, acquired)
    assert set(fusion) <= set(again[sha])  # queued again with what it waits for
    deliver(worker, acquired, again)
    assert {s.state for s in worker.ledger.statuses(acquired)} == {UnitState.DONE}


def test_revert_leaves_nothing_queued(worker, acquired):
    items = worker.repository.list_evidence(acquired)
    units, combined = plan_units(items, list(worker.detectors.values()))
    queued = worker.ledger.queue(acquired, units, QUEUED_BY, dependent=combined)
    worker.ledger.revert(queued)
    assert worker.ledger.statuses(acquired) == []


def test_a_database_that_is_away_is_retried_not_failed(worker, acquired, monkeypatch):
    """A transient error (the database unreachable) makes Celery retry the unit with
    backoff; once the database answers, the unit is done and nothing is failed."""
    from sqlalchemy.exc import OperationalError

    from forensics.distributed import tasks

    by_item = queue_all(worker, acquired)
    sha, units = next(iter(by_item.items()))
    real = worker.repository.get_evidence
    calls = []

    def away_once(case: str, evidence_sha256: str):  # type: ignore[no-untyped-def]
        calls.append(evidence_sha256)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return real(case, evidence_sha256)

    monkeypatch.setattr(worker.repository, "get_evidence", away_once)
    monkeypatch.setattr(tasks, "context", lambda: worker)
    monkeypatch.setattr(tasks.analyse_item, "retry_backoff", False)  # no sleeping in the test
    result = tasks.analyse_item.apply(kwargs={
        "case_number": acquired, "evidence_sha256": sha, "units": [u.as_json() for u in units],
        "queued_by": QUEUED_BY})
    assert result.successful(), result.traceback
    assert len(calls) == 2  # the first attempt met the unreachable database; the retry ran
    assert {s.state for s in worker.ledger.item_statuses(acquired, sha)} == {UnitState.DONE}


def test_a_unit_whose_worker_fails_is_marked_failed_with_the_reason(worker, acquired, monkeypatch):
    """A bug in a method (an exception that is no finding) fails the task: its units are
    marked failed with the exception, not left running."""
    from forensics.distributed import tasks

    by_item = queue_all(worker, acquired)
    sha, units = next(iter(by_item.items()))

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(worker.detectors["frequency"], "run", broken)
    monkeypatch.setattr(tasks, "context", lambda: worker)
    result = tasks.analyse_item.apply(kwargs={
        "case_number": acquired, "evidence_sha256": sha, "units": [u.as_json() for u in units],
        "queued_by": QUEUED_BY})
    assert result.failed()
    statuses = worker.ledger.item_statuses(acquired, sha)
    assert {s.state for s in statuses} == {UnitState.FAILED}
    assert {s.reason for s in statuses} == {"the worker failed: RuntimeError: model exploded"}
