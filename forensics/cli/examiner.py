"""`forensics examiner`: the examiner and laboratory block printed in reports."""

from __future__ import annotations

import typer

from forensics.cli.output import EXAMINER_OPTION, JSON_OPTION, emit_json, handle_errors, shown
from forensics.cli.state import state

app = typer.Typer(help="Examiner profiles: name, role, qualifications, organisation, address.",
                  no_args_is_help=True)


@app.command("set")
@handle_errors
def set_profile(
    ctx: typer.Context,
    role: str = typer.Option("", "--role", help="e.g. 'Forensic image and video examiner'."),
    qualification: list[str] = typer.Option([], "--qualification", help="A degree, certification, "
                                            "training or years of practice (repeatable)."),
    organisation: str = typer.Option("", "--organisation", help="Laboratory or company."),
    address: str = typer.Option("", "--address", help="Postal address of the organisation."),
    examiner: str | None = EXAMINER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Save (or replace) the examiner's profile, printed in the report's examiner block."""
    from forensics.reports.examiner import ExaminerProfile, save_profile
    from forensics.storage.repository import check_examiner

    profile = ExaminerProfile(name=check_examiner(examiner), role=role.strip(),
                              qualifications=tuple(q.strip() for q in qualification if q.strip()),
                              organisation=organisation.strip(), address=address.strip())
    path = save_profile(state(ctx).settings.home, profile)
    if as_json:
        emit_json(dict(profile.as_json(), path=str(path), source=f"examiner profile {path.name}"))
    else:
        typer.echo(f"examiner profile of {shown(profile.name)} saved: {path}")


@app.command("show")
@handle_errors
def show_profile(
    ctx: typer.Context,
    examiner: str | None = EXAMINER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the profile a report would print for the examiner."""
    from forensics.reports.examiner import profile_for
    from forensics.storage.repository import check_examiner

    profile = profile_for(state(ctx).settings.home, check_examiner(examiner))
    if as_json:
        emit_json(profile.as_json())
        return
    for label, value in profile.rows():
        typer.echo(f"{label}: {shown(value)}")
    typer.echo(f"(from: {profile.source})")
