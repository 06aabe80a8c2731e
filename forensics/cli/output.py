"""Output for the CLI: JSON on stdout with --json, Rich tables otherwise; errors as
messages on stderr with a non-zero exit code. Only the CLI turns errors into messages.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from forensics.errors import ForensicsError
from forensics.model.text import visible

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILED = 1  # a check failed, or some input was refused
stdout = Console()
stderr = Console(stderr=True, soft_wrap=True)


def shown(value: object) -> str:
    """A value given by people, for a Rich markup string: shown verbatim (control and
    bidirectional characters as visible escapes, Rich markup escaped, never applied)."""
    return escape_markup(visible(value))


def cell(value: object) -> Text:
    """A value given by people, as a table cell shown verbatim."""
    return Text(visible(value))


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))


def fail(message: str, *, as_json: bool, kind: str = "error") -> typer.Exit:
    """Report a failure (JSON on stdout when asked, text on stderr) and return the Exit."""
    if as_json:
        emit_json({"ok": False, "error": message, "kind": kind})
    else:
        stderr.print(f"[bold red]error:[/] {shown(message)}", highlight=False, markup=True)
    return typer.Exit(EXIT_FAILED)


def handle_errors(func: F) -> F:
    """Turn the suite's own errors into a message and exit code 1 (bugs still raise)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ForensicsError as exc:
            raise fail(str(exc), as_json=bool(kwargs.get("as_json")),
                       kind=type(exc).__name__) from None

    return wrapper  # type: ignore[return-value]


def byte_progress(enabled: bool) -> Progress:
    """A progress bar for long byte-wise work (hashing, verifying), on stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        disable=not enabled,
        transient=True,
    )


JSON_OPTION = typer.Option(False, "--json", help="Write machine-readable JSON to stdout.")
EXAMINER_OPTION = typer.Option(
    None, "--examiner", "-e", envvar="FORENSICS_EXAMINER",
    help="Who performs this action (recorded in the custody chain).",
)
