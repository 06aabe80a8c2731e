"""The `forensics` command line (Typer). Errors become messages only here."""

from forensics.cli.app import app, main

__all__ = ["app", "main"]
