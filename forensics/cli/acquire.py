"""`forensics acquire`: hash, copy and record evidence files."""

from __future__ import annotations

from pathlib import Path

import typer

from forensics.cli.output import (
    EXAMINER_OPTION,
    EXIT_FAILED,
    JSON_OPTION,
    byte_progress,
    emit_json,
    handle_errors,
    shown,
    stderr,
)
from forensics.cli.state import state
from forensics.model.text import visible


@handle_errors
def acquire(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    paths: list[Path] = typer.Argument(..., help="Files or directories (walked) to acquire."),
    note: str = typer.Option("", "--note", help="Examiner's note recorded with each item."),
    examiner: str | None = EXAMINER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Acquire evidence: one pass computes SHA-256, SHA-1 and MD5 while copying the file
    read-only into the case's store; the item and a custody event are recorded together.
    Exits 1 when any path was refused (the others are still acquired)."""
    from forensics.intake import Intake  # libmagic and the store load only for intake
    from forensics.storage.repository import check_examiner

    app_state = state(ctx)
    intake = Intake(app_state.repository, app_state.settings.home, case)
    with byte_progress(enabled=not as_json) as bar:
        task = bar.add_task("acquiring", total=None)

        def on_start(path: Path, size: int) -> None:
            bar.reset(task, total=size, description=path.name[:40])

        results = intake.acquire(
            paths, examiner=check_examiner(examiner), note=note, on_start=on_start,
            progress=lambda n: bar.advance(task, n),
        )
    failed = [r for r in results if r.item is None]
    if as_json:
        emit_json({"ok": not failed, "results": [r.as_json() for r in results]})
    else:
        for r in results:
            if r.item is None:
                stderr.print(f"[red]refused[/] {shown(r.path)}: {shown(r.error)}", highlight=False)
            elif r.new:
                typer.echo(f"{r.item.label} {r.item.sha256} {r.item.media_type} {visible(r.path)}")
            else:
                typer.echo(f"{r.item.label} {r.item.sha256} already in the case; "
                           f"re-acquisition recorded: {visible(r.path)}")
    if failed or not results:
        if not results and not as_json:
            stderr.print("[red]nothing acquired[/]: no files under the given paths")
        raise typer.Exit(EXIT_FAILED)
