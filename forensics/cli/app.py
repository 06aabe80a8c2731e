"""The root `forensics` command: global options and the command groups."""

from __future__ import annotations

from pathlib import Path

import typer

from forensics import __version__
from forensics.cli import (
    acquire,
    analyze,
    case,
    custody,
    db,
    distributed,
    examiner,
    export,
    keys,
    models,
    report,
    train,
    train_cnn,
    train_faceforgery,
    train_synthetic,
    validate,
    verify,
)
from forensics.cli.state import State
from forensics.settings import ENV_DB_URL, ENV_HOME, Settings

app = typer.Typer(
    name="forensics",
    help="Deepfake forensics: open cases, acquire evidence, run detectors, "
    "report and verify the chain of custody.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"forensics {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Path | None = typer.Option(
        None, "--home", envvar=ENV_HOME,
        help="Case root holding the evidence store and the SQLite database [default: ./casefiles].",
    ),
    db_url: str | None = typer.Option(
        None, "--db", envvar=ENV_DB_URL,
        help="SQLAlchemy URL of the case database [default: sqlite:///HOME/forensics.db].",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Deepfake forensics suite."""
    ctx.obj = State(Settings.resolve(home, db_url))


app.add_typer(case.app, name="case")
app.add_typer(db.app, name="db")
app.command("acquire")(acquire.acquire)
app.command("custody")(custody.custody)
app.command("verify")(verify.verify)
app.command("analyze")(analyze.analyze)
app.command("findings")(analyze.findings)
app.command("detectors")(analyze.detectors)
app.command("status")(distributed.status)
app.command("worker")(distributed.worker)
app.add_typer(keys.app, name="keys")
app.add_typer(examiner.app, name="examiner")
app.add_typer(models.app, name="models")
app.command("report")(report.report)
app.command("export")(export.export)
app.command("validate")(validate.validate)
train.app.command("cnn")(train_cnn.cnn)
train.app.command("faceforgery")(train_faceforgery.faceforgery)
train.app.command("synthetic")(train_synthetic.synthetic)
app.add_typer(train.app, name="train")


def main() -> None:
    app()
