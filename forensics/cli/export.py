"""`forensics export`: a case in an interchange format (CASE/UCO JSON-LD)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from forensics.cli.output import handle_errors
from forensics.cli.state import state


class ExportFormat(str, Enum):
    case = "case"  #: CASE 1.5 / UCO JSON-LD (caseontology.org)


@handle_errors
def export(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    fmt: ExportFormat = typer.Option(..., "--format", "-f", help="case: CASE 1.5 / UCO JSON-LD."),
    out: Path | None = typer.Option(None, "--out", "-o", help="File to write (never overwritten) "
                                       "(default: stdout)."),
) -> None:
    """Export the case: evidence items with their hashes and provenance, custody events as
    investigative actions, findings as analytic results, and the tools with their versions.
    Validate the output with case-utils' `case_validate`."""
    from forensics import __version__
    from forensics.errors import ForensicsError
    from forensics.reports.case_uco import case_export, exported_findings, pretty
    from forensics.reports.model import TOOL_NAME

    repository = state(ctx).repository
    rows = ((f.evidence_label, f.digest, f.finding) for f in repository.list_findings(case))
    document = case_export(repository.get_case(case), repository.list_evidence(case),
                           exported_findings(rows), list(repository.iter_events(case)),
                           TOOL_NAME, __version__)
    text = pretty(document)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        with out.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ForensicsError(f"{out}: already exists; an export is never overwritten") from None
    except OSError as exc:
        raise ForensicsError(f"{out}: cannot write the export ({exc.strerror})") from None
    typer.echo(f"case {case}: CASE/UCO JSON-LD written to {out} ({len(document['@graph'])} nodes)",
               err=True)
