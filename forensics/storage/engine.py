"""Engine creation and schema management (Alembic) for the case database.

SQLite (the default) and PostgreSQL are both first-class. Writes that extend a custody
chain must be serialised per case: on SQLite every transaction starts with
``BEGIN IMMEDIATE`` (one writer at a time, others wait up to the busy timeout); on
PostgreSQL the repository locks the case row with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from forensics.errors import ConfigurationError, SchemaError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration's revision. ensure_schema compares the database with it in plain
# SQL, so a command on an up-to-date database never imports Alembic (about 100 ms of
# every CLI start); tests/storage keep it equal to the migrations' head.
HEAD_REVISION = "0004"

SQLITE_BUSY_TIMEOUT_S = 60
UPGRADE_HINT = "forensics db upgrade"


def default_url(home: Path) -> str:
    return f"sqlite:///{(home / 'forensics.db').resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the locking behaviour the custody chain relies on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _serialise_sqlite_writes(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the one we ship
    return create_engine(parsed, pool_pre_ping=True)


def _serialise_sqlite_writes(engine: Engine) -> None:
    # pysqlite's own transaction handling starts transactions lazily and as DEFERRED,
    # which lets two writers read the same chain head; take the write lock up front.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("forensics.migrations")))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(files("forensics.migrations")))
    head = script.get_current_head()
    assert head is not None, "migrations/ has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the only way the schema changes)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Create the schema on first use of an empty database; refuse an outdated one."""
    with engine.connect() as connection:  # the common case, without Alembic
        if inspect(connection).has_table("alembic_version"):
            stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            if stored == [HEAD_REVISION]:
                return
    from alembic.script import ScriptDirectory

    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None:
        existing = set(inspect(engine).get_table_names())
        if existing & {"cases", "custody_events", "evidence_items"}:
            raise SchemaError(
                f"{engine.url.render_as_string(hide_password=True)}: has suite tables but "
                "no Alembic revision; it was not created by this suite"
            )
        upgrade(engine)
        return
    script = ScriptDirectory(str(files("forensics.migrations")))
    known = {rev.revision for rev in script.walk_revisions()}
    if current in known:
        raise SchemaError(
            f"the case database is at schema revision {current}, this version of the "
            f"suite needs {head}; run `{UPGRADE_HINT}` (back the database up first)"
        )
    raise SchemaError(
        f"the case database is at schema revision {current}, which this version of the "
        "suite does not know; it was written by a newer version"
    )


def open_database(url: str) -> Engine:
    """The engine for ``url`` with its schema checked (and created on first use)."""
    engine = make_engine(url)
    ensure_schema(engine)
    return engine
