"""Every field of the case, evidence and finding rows is bound to the custody event that
recorded it: with the database's guard triggers dropped, one edit at a time, `verify`
names the table, the row and the field (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from forensics.detectors import registry
from forensics.intake import Intake
from forensics.pipeline import analyze_case
from forensics.verify import verify_case
from tests.audit.helpers import drop_guard_triggers
from tests.conftest import EXAMINER
from tests.test_pipeline import ByteCountDetector


@pytest.fixture
def toy() -> Iterator[str]:
    registry.register(ByteCountDetector)
    yield ByteCountDetector.name
    registry.unregister(ByteCountDetector.name)


def _sql(repository, statement: str, **params: object) -> None:
    with repository.engine.begin() as connection:
        connection.execute(text(statement), params)


@pytest.fixture
def recorded_case(repository, case_number, home, evidence_dir, toy):
    Intake(repository, home, case_number).acquire([evidence_dir / "red.jpg"], examiner=EXAMINER)
    analyze_case(repository, home, case_number, examiner=EXAMINER, detector_names=[toy])
    assert verify_case(repository, home, case_number).ok
    drop_guard_triggers(repository)
    item = repository.list_evidence(case_number)[0]
    return case_number, item, repository.list_findings(case_number)[0]


def _record_problems(repository, home, case_number, edit: str | None = None) -> list[tuple[str, str]]:
    """The "record" problems verify names (after running ``edit``, an SQL statement)."""
    if edit is not None:
        _sql(repository, edit)
    result = verify_case(repository, home, case_number)
    assert not result.ok
    return [(p.subject, p.message) for p in result.problems if p.kind == "record"]


@pytest.mark.parametrize("column, value, field", [
    ("original_path", "'/somewhere/else/red.jpg'", "original_path"),
    ("original_name", "'other.jpg'", "original_name"),
    ("note", "'added later'", "note"),
    ("size", "size + 1", "size"),
    ("media_type", "'image/png'", "media_type"),
    ("md5", "'00000000000000000000000000000000'", "md5"),
    ("item_no", "7", "item_no"),
])
def test_an_edited_evidence_field_is_named(repository, home, recorded_case, column, value, field):
    problems = _record_problems(repository, home, recorded_case[0], f"UPDATE evidence_items SET {column} = {value}")
    assert problems[0][0].startswith("evidence_items E") and problems[0][0].endswith(f" {field}")
    assert "acquired event (seq" in problems[0][1]


def test_a_shifted_acquisition_time_is_named(repository, home, recorded_case):
    case_number, item, _ = recorded_case
    _sql(repository, "UPDATE evidence_items SET acquired_at = :moment",
         moment=item.acquired_at.replace(year=item.acquired_at.year - 1))
    [(subject, message)] = _record_problems(repository, home, case_number)
    assert subject.endswith(" acquired_at") and "recorded" in message


def test_an_item_moved_to_another_case_is_named_in_both(repository, home, recorded_case):
    case_number = recorded_case[0]
    repository.open_case("OTHER-1", title="another case", examiner=EXAMINER)
    _sql(repository, "UPDATE evidence_items SET case_id = (SELECT id FROM cases WHERE number = 'OTHER-1')")
    _sql(repository, "UPDATE findings SET case_id = (SELECT id FROM cases WHERE number = 'OTHER-1')")
    problems = _record_problems(repository, home, case_number)
    assert any(s.startswith("evidence_items") and s.endswith("(row)") and "deleted or moved" in m for s, m in problems)
    assert any(s.startswith("findings") and s.endswith("(row)") and "deleted or moved" in m for s, m in problems)
    other = verify_case(repository, home, "OTHER-1")
    assert any(p.kind == "anchor" and "no 'acquired' event" in p.message for p in other.problems)


def test_a_renamed_examiner_is_named_where_the_name_was_recorded(repository, home, recorded_case):
    problems = _record_problems(repository, home, recorded_case[0], "UPDATE examiners SET name = 'Mallory'")
    fields = {" ".join(subject.split(" ")[-2:]) for subject, _ in problems}
    assert "created_by (examiners.name)" in fields and "acquired_by (examiners.name)" in fields


@pytest.mark.parametrize("column, value", [
    ("title", "'a different title'"), ("requested_by", "'someone else'"), ("description", "'rewritten'"),
    ("status", "'closed'"), ("created_at", "'2020-01-01 00:00:00'"),
])
def test_an_edited_case_field_is_named(repository, home, recorded_case, column, value):
    case_number = recorded_case[0]
    [(subject, message)] = _record_problems(repository, home, case_number, f"UPDATE cases SET {column} = {value}")
    assert subject == f"cases {case_number} {column}" and "case_opened event (seq 1)" in message


@pytest.mark.parametrize("column, value, field", [
    ("verdict", "'supports_manipulation'", "verdict"),
    ("detector", "'metadata'", "detector"),
    ("detector_version", "'9.9.9'", "detector_version"),
    ("recorded_at", "'2020-01-01 00:00:00'", "recorded_at"),
])
def test_an_edited_finding_column_is_named(repository, home, recorded_case, column, value, field):
    case_number, _, finding = recorded_case
    problems = _record_problems(repository, home, case_number, f"UPDATE findings SET {column} = {value}")
    assert problems[0][0] == f"findings {finding.digest[:16]} {field}"


def test_a_finding_pointed_at_another_item_is_named(repository, home, evidence_dir, recorded_case):
    case_number, _, finding = recorded_case
    Intake(repository, home, case_number).acquire([evidence_dir / "blue.png"], examiner=EXAMINER)
    edit = "UPDATE findings SET evidence_id = (SELECT max(id) FROM evidence_items)"
    subjects = [s for s, _ in _record_problems(repository, home, case_number, edit)]
    assert f"findings {finding.digest[:16]} evidence_id" in subjects


def test_a_renamed_case_is_named_first_by_its_broken_chain(repository, home, recorded_case):
    _sql(repository, "UPDATE cases SET number = 'RENAMED-1'")
    result = verify_case(repository, home, "RENAMED-1")
    assert result.first_failure.kind == "chain" and result.first_failure.subject == "seq 1"


def test_a_value_the_database_cannot_read_back_is_a_clear_refusal(repository, home, recorded_case):
    from forensics.errors import IntegrityError

    if repository.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's column types refuse such a value at the edit itself")
    _sql(repository, "UPDATE evidence_items SET acquired_at = 'not a date'")
    with pytest.raises(IntegrityError, match="a stored value cannot be read back"):
        verify_case(repository, home, recorded_case[0])
