"""`forensics verify`: re-hash evidence, recompute findings and the custody chain."""

from __future__ import annotations

import typer

from forensics.cli.output import (
    EXIT_FAILED, JSON_OPTION, byte_progress, emit_json, handle_errors, stderr,
)
from forensics.cli.state import state
from forensics.audit.verify import verify_case


@handle_errors
def verify(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify a case. Exit 0 only when every stored file matches its SHA-256, every
    finding its digest, and the custody chain holds; else name the first failure."""
    app_state = state(ctx)
    with byte_progress(enabled=not as_json) as bar:
        task = bar.add_task("verifying", total=None)
        result = verify_case(
            app_state.repository, app_state.settings.home, case,
            on_file=lambda label, size: bar.reset(task, total=size, description=label),
            progress=lambda n: bar.advance(task, n),
        )
    if as_json:
        emit_json(result.as_json())
    elif result.ok:
        typer.echo(
            f"case {case}: OK - {result.evidence_checked} evidence files, "
            f"{result.findings_checked} findings, {result.chain.events} custody events; "
            f"chain head {result.chain.head}"
        )
    else:
        first = result.first_failure
        assert first is not None
        stderr.print(f"[bold red]FAILED[/] case {case}: {first.kind} {first.subject}: "
                     f"{first.message}", highlight=False)
        for problem in result.problems[1:]:
            stderr.print(f"  also: {problem.kind} {problem.subject}: {problem.message}",
                         highlight=False)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)
