"""The custody chain: linking, verification, and tamper detection on each backend."""

import dataclasses

from sqlalchemy import text

from forensics.audit.chain import verify_events
from forensics.canonical import ZERO_DIGEST
from forensics.model import CustodyEvent
from forensics.model.records import format_time, make_link
from forensics.verify import verify_case
from tests.conftest import EXAMINER


def _chain(n: int) -> list[CustodyEvent]:
    from datetime import datetime

    events, prev = [], ZERO_DIGEST
    for seq in range(1, n + 1):
        moment = datetime(2026, 1, 1, 12, 0, seq)
        link = make_link(case_number="C1", seq=seq, time=moment, examiner="A", action="test",
                         subject_digest=ZERO_DIGEST, payload={"i": seq}, prev_hash=prev)
        events.append(CustodyEvent("C1", seq, format_time(moment), "A", "test", ZERO_DIGEST,
                                   link.payload_digest, link.payload, prev, link.hash))
        prev = link.hash
    return events


def test_an_intact_chain_verifies_and_reports_its_head():
    events = _chain(5)
    check = verify_events("C1", events)
    assert check.ok and check.events == 5 and check.head == events[-1].hash


def test_empty_chain_has_the_zero_head():
    check = verify_events("C1", [])
    assert check.ok and check.head == ZERO_DIGEST


def test_an_altered_field_is_named_by_seq():
    events = _chain(5)
    events[2] = dataclasses.replace(events[2], examiner="Mallory")
    check = verify_events("C1", events)
    assert not check.ok and check.broken_seq == 3
    assert "recomputed hash differs" in check.problem


def test_an_altered_payload_is_named_by_seq():
    events = _chain(5)
    events[1] = dataclasses.replace(events[1], payload='{"i":99}')
    check = verify_events("C1", events)
    assert check.broken_seq == 2 and "payload" in check.problem


def test_a_rehashed_event_breaks_the_next_link():
    events = _chain(5)
    forged = dataclasses.replace(events[2], examiner="Mallory")
    from forensics.audit.chain import event_hash

    events[2] = dataclasses.replace(forged, hash=event_hash(forged))
    check = verify_events("C1", events)
    assert check.broken_seq == 4 and "prev_hash" in check.problem


def test_a_missing_event_is_named_as_a_gap():
    events = _chain(5)
    del events[2]
    check = verify_events("C1", events)
    assert check.broken_seq == 3 and "gap: seq 3 missing" in check.problem


# -- tampering with the database itself ----------------------------------------------

def _drop_triggers(connection, dialect: str) -> None:
    if dialect == "postgresql":
        connection.execute(text("DROP TRIGGER custody_events_append_only ON custody_events"))
    else:
        connection.execute(text("DROP TRIGGER custody_events_no_update"))
        connection.execute(text("DROP TRIGGER custody_events_no_delete"))


def _case_with_events(repository, case_number, n=6):
    for i in range(n):
        repository.append_event(case_number, examiner=EXAMINER, action="note",
                                subject_digest=ZERO_DIGEST, payload={"i": i})


def test_verify_names_the_seq_of_a_row_changed_with_raw_sql(repository, case_number, home):
    _case_with_events(repository, case_number)
    assert verify_case(repository, home, case_number).ok
    with repository.engine.begin() as connection:
        _drop_triggers(connection, repository.engine.dialect.name)
        connection.execute(text("UPDATE custody_events SET examiner = 'Mallory' WHERE seq = 4"))
    result = verify_case(repository, home, case_number)
    assert not result.ok
    assert result.first_failure.kind == "chain"
    assert result.first_failure.subject == "seq 4"
    assert result.chain.broken_seq == 4


def test_verify_names_the_gap_of_a_deleted_row(repository, case_number, home):
    _case_with_events(repository, case_number)
    with repository.engine.begin() as connection:
        _drop_triggers(connection, repository.engine.dialect.name)
        connection.execute(text("DELETE FROM custody_events WHERE seq = 5"))
    result = verify_case(repository, home, case_number)
    assert result.first_failure.subject == "seq 5"
    assert "gap: seq 5 missing" in result.first_failure.message


def test_verify_names_an_evidence_row_with_no_custody_anchor(repository, case_number, home, evidence_dir):
    from forensics.intake import Intake

    Intake(repository, home, case_number).acquire([evidence_dir / "red.jpg"], examiner=EXAMINER)
    # a truncated chain that still verifies on its own: drop the last event (the acquisition)
    with repository.engine.begin() as connection:
        _drop_triggers(connection, repository.engine.dialect.name)
        connection.execute(text("DELETE FROM custody_events WHERE action = 'acquired'"))
    result = verify_case(repository, home, case_number)
    assert result.first_failure.kind == "anchor"
    assert "no 'acquired' event" in result.first_failure.message
