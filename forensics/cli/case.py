"""`forensics case`: open, list and show cases."""

from __future__ import annotations

import typer
from rich.table import Table

from forensics.cli.output import (
    EXAMINER_OPTION,
    JSON_OPTION,
    cell,
    emit_json,
    handle_errors,
    shown,
    stdout,
)
from forensics.cli.state import state
from forensics.model.text import visible

app = typer.Typer(help="Open, list and show cases.", no_args_is_help=True)


@app.command("open")
@handle_errors
def open_case(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="Case number, e.g. 2026-0042 (letters, digits, . _ -)."),
    title: str = typer.Option(..., "--title", help="Short title of the case."),
    description: str = typer.Option("", "--description", help="What the case is about."),
    requested_by: str = typer.Option("", "--requested-by", help="Requesting party."),
    examiner: str | None = EXAMINER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Open a new case (records a 'case_opened' custody event)."""
    from forensics.storage.repository import check_examiner  # SQLAlchemy only when used

    case = state(ctx).repository.open_case(
        number, title=title, description=description, requested_by=requested_by,
        examiner=check_examiner(examiner),
    )
    if as_json:
        emit_json(case.as_json())
    else:
        typer.echo(f"opened case {case.number}: {visible(case.title)}")


@app.command("list")
@handle_errors
def list_cases(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List all cases."""
    cases = state(ctx).repository.list_cases()
    if as_json:
        emit_json([c.as_json() for c in cases])
        return
    table = Table("Number", "Title", "Status", "Opened (UTC)", "By")
    for c in cases:
        table.add_row(c.number, cell(c.title), c.status, c.created_at.isoformat(" ", "seconds"), cell(c.created_by))
    stdout.print(table)


@app.command("show")
@handle_errors
def show(ctx: typer.Context, number: str, as_json: bool = JSON_OPTION) -> None:
    """Show a case with its evidence and chain head."""
    repository = state(ctx).repository
    case = repository.get_case(number)
    evidence = repository.list_evidence(number)
    counts = repository.case_counts(number)
    seq, head = repository.chain_head(number)
    if as_json:
        emit_json({
            "case": case.as_json(),
            "counts": counts,
            "chain_head": {"seq": seq, "hash": head},
            "evidence": [e.as_json() for e in evidence],
        })
        return
    stdout.print(f"[bold]{case.number}[/]: {shown(case.title)} ({case.status})", highlight=False)
    if case.description:
        stdout.print(cell(case.description), highlight=False)
    if case.requested_by:
        stdout.print(f"requested by: {shown(case.requested_by)}", highlight=False)
    stdout.print(f"chain head: seq {seq} {head}", highlight=False)
    table = Table("ID", "Name", "Type", "Bytes", "SHA-256", "Acquired (UTC)", "By")
    for e in evidence:
        table.add_row(e.label, cell(e.original_name), cell(e.media_type), str(e.size), e.sha256,
                      e.acquired_at.isoformat(" ", "seconds"), cell(e.acquired_by))
    stdout.print(table)
