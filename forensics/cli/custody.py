"""`forensics custody`: the custody log of a case."""

from __future__ import annotations

import typer
from rich.table import Table

from forensics.cli.output import (
    JSON_OPTION,
    cell,
    emit_json,
    handle_errors,
    stdout,
)
from forensics.cli.state import state


@handle_errors
def custody(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print the custody chain of a case: who did what, when, to which digest."""
    repository = state(ctx).repository
    events = list(repository.iter_events(case))
    if as_json:
        emit_json([e.as_json() for e in events])
        return
    table = Table("Seq", "Time (UTC)", "Examiner", "Action", "Subject", "Hash")
    for e in events:
        table.add_row(str(e.seq), cell(e.time), cell(e.examiner), cell(e.action), e.subject_digest[:16],
                      e.hash[:16])
    stdout.print(table)
    if events:
        stdout.print(f"chain head: seq {events[-1].seq} {events[-1].hash}", highlight=False)
