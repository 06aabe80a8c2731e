"""Record tables refuse UPDATE and DELETE at the database level, on each backend."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import EXAMINER


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE custody_events SET examiner = 'Mallory'",
        "DELETE FROM custody_events",
        "UPDATE evidence_items SET sha256 = 'x'",
        "DELETE FROM evidence_items",
    ],
)
def test_record_tables_are_append_only(repository, case_number, home, evidence_dir, statement):
    from forensics.intake import Intake

    Intake(repository, home, case_number).acquire([evidence_dir], examiner=EXAMINER)
    with pytest.raises(DBAPIError, match="append-only"), repository.engine.begin() as connection:
        connection.execute(text(statement))
    events = list(repository.iter_events(case_number))
    assert len(events) == 3 and {e.examiner for e in events} == {EXAMINER}
    assert len(repository.list_evidence(case_number)) == 2
