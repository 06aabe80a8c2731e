"""Alembic environment: the engine comes from the suite (forensics.storage.engine)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from forensics.storage.tables import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:  # plain `alembic` CLI use, with sqlalchemy.url in a config file
        engine = engine_from_config(
            context.config.get_section(context.config.config_ini_section, {}),
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
