"""`forensics report`: the court report of a case as a (signed) PDF."""

from __future__ import annotations

from pathlib import Path

import typer

from forensics.cli.keys import ENV_PASSPHRASE, read_passphrase
from forensics.cli.output import EXAMINER_OPTION, JSON_OPTION, emit_json, handle_errors
from forensics.cli.state import state


@handle_errors
def report(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    out: Path | None = typer.Option(None, "--out", "-o", help="PDF to write (never "
                                       "overwritten) [default: HOME/CASE/reports/REPORT-ID.pdf]."),
    sign: Path | None = typer.Option(None, "--sign", help="Examiner's encrypted private key "
                                        f"(.key.pem; passphrase from {ENV_PASSPHRASE} or a "
                                        "prompt). Without it: an UNSIGNED DRAFT."),
    cert: Path | None = typer.Option(None, "--cert", help="Certificate of the key "
                                        "[default: the .cert.pem beside it]."),
    tsa: str | None = typer.Option(None, "--tsa", help="RFC 3161 time-stamping service URL: "
                                      "the signature gets its time-stamp (PAdES B-T). With --sign."),
    scope: str = typer.Option("", "--scope", help="Scope of the examination (cover page)."),
    question: list[str] = typer.Option([], "--question", help="Question addressed (repeatable)."),
    requested_by: str | None = typer.Option(None, "--requested-by", help="Requesting party "
                                               "[default: as recorded with the case]."),
    reviewer: str | None = typer.Option(None, "--reviewer", help="Technical reviewer's name "
                                           "(their profile from `forensics examiner set`, if any)."),
    interpretation: Path | None = typer.Option(None, "--interpretation", help="UTF-8 text printed "
                                                  "as the examiner's opinion; a paragraph starting "
                                                  "'E2:' goes with that item."),
    examiner: str | None = EXAMINER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Render the case's report: cover, conclusions, evidence re-verified now, methods
    and their validation, findings with figures, limitations, custody log and
    certification, with the case data embedded. Signed (PAdES; B-T with --tsa) with --sign and recorded
    as a 'report_signed' custody event; otherwise an UNSIGNED DRAFT ('report_drafted')."""
    # reportlab and pyHanko load only when a report is made, not for every command
    from forensics.reports.generate import generate_report
    from forensics.reports.sign import load_signer
    from forensics.storage.repository import check_examiner

    app_state = state(ctx)
    name = check_examiner(examiner)
    signer = None
    if tsa is not None and sign is None:
        raise typer.BadParameter("a time-stamp needs a signature: give --sign KEY", param_hint="--tsa")
    if sign is not None:
        signer = load_signer(sign, read_passphrase(ENV_PASSPHRASE, f"Passphrase of {sign}"), cert,
                             tsa_url=tsa)
    made = generate_report(
        app_state.repository, app_state.settings.home, case, examiner=name, out=out,
        signer=signer, scope=scope, questions=question, requested_by=requested_by,
        reviewer=reviewer, interpretation=interpretation,
    )
    if as_json:
        emit_json(dict(made.as_json(), ok=True))
        return
    kind = "signed report" if made.signed else "UNSIGNED DRAFT"
    typer.echo(f"{kind} {made.report_id}: {made.path} ({made.pages} pages)\n"
               f"SHA-256 {made.sha256}\n"
               f"covers chain head seq {made.chain_head[0]} {made.chain_head[1]}; recorded as "
               f"seq {made.event.seq} ({made.event.action})")
