"""`forensics verify`: re-hash evidence, recompute findings and the custody chain; or
verify a report PDF (signature, embedded case data, and against the case database)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from forensics.cli.output import (
    EXIT_FAILED,
    JSON_OPTION,
    byte_progress,
    emit_json,
    handle_errors,
    shown,
    stderr,
)
from forensics.cli.state import state

if TYPE_CHECKING:
    from forensics.verify import Problem


@handle_errors
def verify(
    ctx: typer.Context,
    case: str | None = typer.Argument(None, help="Case number (optional with --report)."),
    report: Path | None = typer.Option(
        None, "--report", help="Verify this report PDF instead: its signature, its embedded "
        "case data and, with a case, the case database."),
    report_case: str | None = typer.Option(
        None, "--case", help="With --report: the case to compare the report with "
        "[default: CASE; without either, the PDF alone is checked]."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify a case. Exit 0 only when every stored file matches its SHA-256, every
    finding its digest, and the custody chain holds; else name the first failure.
    With --report FILE.pdf: exit 0 only when the signature is intact and covers the
    whole file and the embedded data matches the case database (when a case is given)."""
    if report is not None:
        _verify_report(ctx, report, report_case or case, as_json)
        return
    if case is None:
        raise typer.BadParameter("give a CASE to verify, or --report FILE.pdf", param_hint="CASE")
    from forensics.verify import verify_case  # loaded per command, not for every CLI start

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
        _print_problems(f"case {case}", result.problems)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _verify_report(ctx: typer.Context, path: Path, case: str | None, as_json: bool) -> None:
    from forensics.reports.verify import (
        verify_report,  # pyHanko loads only when a report is verified
    )

    repository = state(ctx).repository if case is not None else None
    result = verify_report(path, repository, case)
    if as_json:
        emit_json(result.as_json())
    else:
        for sig in result.signatures:
            cert = sig.certificate
            trust = ("self-signed: trust rests on this fingerprint" if cert.self_signed
                     else f"issued by {cert.issuer}")
            if sig.registered_to:
                trust += f"; registered for examiner {sig.registered_to!r} in this database"
            typer.echo(f"signature {sig.field_name}: intact={sig.intact} valid={sig.valid} "
                       f"coverage={sig.coverage} ({sig.level}, {sig.subfilter}, {sig.md_algorithm})\n"
                       f"  certificate {cert.subject}, SHA-256 {cert.fingerprint_sha256}\n"
                       f"  {trust}")
            if sig.timestamp:
                typer.echo(f"  time-stamped {sig.timestamp} by {sig.timestamp_authority} "
                           f"(valid={sig.timestamp_valid}; TSA certificate SHA-256 "
                           f"{sig.timestamp_authority_sha256})")
            else:
                typer.echo(f"  no trusted time-stamp: signing time {sig.signing_time} is the "
                           "signer's own clock")
        if result.report_id:
            head = result.chain_head or (0, "")
            typer.echo(f"report {result.report_id}, case {result.case_number}: "
                       f"{result.evidence_checked} evidence items, {result.findings_checked} "
                       f"findings, {result.events_checked} custody events recomputed from the "
                       f"PDF; chain head seq {head[0]} {head[1]}")
        if result.ok:
            compared = ("embedded data and custody chain hold; evidence hashes, findings and "
                        "chain head match the case database" if result.database_checked
                        else "embedded data and custody chain hold (checked from the PDF alone; "
                        "--case CASE also compares a case database)")
            typer.echo(f"report {path}: OK - {compared}")
        else:
            _print_problems(f"report {path}", result.problems)
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _print_problems(what: str, problems: Sequence[Problem]) -> None:
    """The first failure in bold, the others after it."""
    first, *others = problems
    stderr.print(f"[bold red]FAILED[/] {shown(what)}: {first.kind} {shown(first.subject)}: {shown(first.message)}",
                 highlight=False)
    for problem in others:
        stderr.print(f"  also: {problem.kind} {shown(problem.subject)}: {shown(problem.message)}",
                     highlight=False)
