"""`forensics db`: schema revision and upgrades (Alembic)."""

from __future__ import annotations

import typer

from forensics.cli.output import JSON_OPTION, emit_json, handle_errors
from forensics.cli.state import state

app = typer.Typer(help="Case database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
@handle_errors
def upgrade(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Bring the case database schema to the newest revision."""
    from forensics.storage import engine as engine_module  # Alembic only for db commands

    settings = state(ctx).settings
    engine = engine_module.make_engine(settings.db_url)
    before = engine_module.current_revision(engine)
    engine_module.upgrade(engine)
    after = engine_module.current_revision(engine)
    if as_json:
        emit_json({"ok": True, "from": before, "to": after})
    else:
        typer.echo(f"schema revision {before or '(empty)'} -> {after}")


@app.command("status")
@handle_errors
def status(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Show the database's schema revision and the one this version needs."""
    from forensics.storage import engine as engine_module

    settings = state(ctx).settings
    engine = engine_module.make_engine(settings.db_url)
    current = engine_module.current_revision(engine)
    head = engine_module.head_revision()
    url = engine.url.render_as_string(hide_password=True)
    if as_json:
        emit_json({"url": url, "current": current, "head": head, "up_to_date": current == head})
    else:
        typer.echo(f"{url}: revision {current or '(empty)'}, this version needs {head}")
