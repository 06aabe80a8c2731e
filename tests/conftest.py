"""Shared fixtures: a case database on SQLite and, where a server answers, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forensics.storage.engine import open_database
from forensics.storage.repository import Repository

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
PG_ADMIN_URL = os.environ.get(
    "FORENSICS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
EXAMINER = "Test Examiner"

_pg_unavailable: str | None = None
_pg_checked = False


def postgres_unavailable() -> str | None:
    """None when the test PostgreSQL server answers, else why it does not (cached)."""
    global _pg_checked, _pg_unavailable
    if not _pg_checked:
        _pg_checked = True
        try:
            engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure to connect means: skip, and say why
            _pg_unavailable = (
                f"no PostgreSQL server answered at {make_url(PG_ADMIN_URL).render_as_string()}"
                f" ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                "set FORENSICS_TEST_PG_URL to run the PostgreSQL tests"
            )
    return _pg_unavailable


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards (skipped, with the reason,
    where no server answers)."""
    reason = postgres_unavailable()
    if reason and os.environ.get("FORENSICS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"FORENSICS_REQUIRE_POSTGRES=1 but {reason}")
    if reason:
        pytest.skip(reason)
    name = f"forensics_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A case database URL on each backend (PostgreSQL skipped, with the reason, if absent)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'case.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def repository(db_url: str) -> Iterator[Repository]:
    engine = open_database(db_url)
    yield Repository(engine)
    engine.dispose()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "casefiles"
    root.mkdir()
    return root


@pytest.fixture
def case_number(repository: Repository) -> str:
    repository.open_case("2026-0001", title="Test case", examiner=EXAMINER)
    return "2026-0001"


@pytest.fixture
def evidence_dir(tmp_path: Path) -> Path:
    """A folder of small, real media files outside the case root."""
    from PIL import Image

    folder = tmp_path / "originals"
    folder.mkdir()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(folder / "red.jpg", quality=90)
    Image.new("RGB", (16, 16), (10, 10, 240)).save(folder / "blue.png")
    return folder
