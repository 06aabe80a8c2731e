"""Shared by the tamper tests, the concurrency test and benchmarks/robustness.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from forensics.canonical import ZERO_DIGEST
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository


def drop_guard_triggers(repository: Repository) -> None:
    """Drop every trigger (the append-only guards), as someone with database access could."""
    with repository.engine.begin() as connection:
        if repository.engine.dialect.name == "postgresql":
            rows = connection.execute(text(
                "SELECT DISTINCT trigger_name, event_object_table FROM information_schema.triggers")).all()
            for name, table in rows:
                connection.execute(text(f'DROP TRIGGER "{name}" ON "{table}"'))
        else:
            for (name,) in connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all():
                connection.execute(text(f'DROP TRIGGER "{name}"'))


def append_notes(db_url: str, case_number: str, worker: int, events: int, start: Any) -> None:
    """A writer process: wait for ``start``, then append ``events`` custody events."""
    engine = open_database(db_url)
    repository = Repository(engine)
    start.wait()
    for i in range(events):
        repository.append_event(case_number, examiner=f"worker-{worker}", action="note",
                                subject_digest=ZERO_DIGEST, payload={"worker": worker, "i": i})
    engine.dispose()
