"""The schema comes only from Alembic: models and migrations must agree, on each backend."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from forensics.errors import SchemaError
from forensics.storage import engine as engine_module
from forensics.storage.tables import Base


def test_models_and_migrations_agree(db_url):
    engine = engine_module.open_database(db_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == [], f"ORM models and migrations differ: {diff}"


def test_first_use_of_an_empty_database_creates_the_schema(db_url):
    engine = engine_module.open_database(db_url)
    assert engine_module.current_revision(engine) == engine_module.head_revision()
    assert {"cases", "custody_events", "evidence_items", "findings", "examiners"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_an_older_revision_is_refused_with_the_upgrade_command(db_url):
    engine = engine_module.make_engine(db_url)
    engine_module.upgrade(engine, "0001")
    with pytest.raises(SchemaError, match="run `forensics db upgrade`") as caught:
        engine_module.ensure_schema(engine)
    assert "0001" in str(caught.value)
    engine_module.upgrade(engine)
    engine_module.ensure_schema(engine)  # now accepted
    engine.dispose()


def test_downgrade_and_upgrade_round_trip(db_url):
    engine = engine_module.open_database(db_url)
    engine_module.downgrade(engine, "base")
    assert "cases" not in inspect(engine).get_table_names()
    engine_module.upgrade(engine)
    assert engine_module.current_revision(engine) == engine_module.head_revision()
    engine.dispose()


def test_a_database_from_a_newer_version_is_refused(tmp_path):
    engine = engine_module.open_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaError, match="newer version"):
        engine_module.ensure_schema(engine)


def test_head_revision_constant_is_the_migrations_head() -> None:
    """ensure_schema's Alembic-free check compares with HEAD_REVISION: a new migration
    must move it."""
    assert engine_module.head_revision() == engine_module.HEAD_REVISION


def test_an_up_to_date_database_opens_without_importing_alembic(tmp_path) -> None:
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'case.db'}"
    engine_module.open_database(url).dispose()  # created (and upgraded) with Alembic
    code = ("import sys; from forensics.storage.engine import open_database; "
            f"open_database({url!r}); print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
