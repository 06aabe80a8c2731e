"""`forensics train`: fit the learned parameters of detectors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import typer

from forensics.errors import ForensicsError

app = typer.Typer(help="Train the learned parameters of detectors.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Train the learned parameters of detectors."""  # keeps `frequency` a sub-command


_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in _IMAGE_SUFFIXES)


def read_manifest(path: Path) -> tuple[list[Path], list[Path]]:
    """Real and fake files from a tab-separated manifest with a header row.

    Columns ``label`` (real | fake; other labels are skipped) and ``path`` (or
    ``local_path``), relative to the manifest's folder unless absolute.
    """
    real: list[Path] = []
    fake: list[Path] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        fields = reader.fieldnames or []
        column = "path" if "path" in fields else "local_path"
        if "label" not in fields or column not in fields:
            raise ValueError(f"{path}: needs a header with 'label' and 'path' columns")
        for row in reader:
            target = {"real": real, "fake": fake}.get(row["label"].strip().lower())
            if target is not None:
                target.append(path.parent / row[column])
    return real, fake


@app.command("frequency")
def frequency(
    out: Path = typer.Option(..., "--out", help="Parameter file to write (JSON)."),
    builtin: bool = typer.Option(
        False, "--builtin", help="Regenerate the shipped default from scikit-image's photographs."
    ),
    manifest: Path | None = typer.Option(
        None, "--manifest", exists=True, dir_okay=False, help="TSV with 'label' and 'path' columns."
    ),
    real: Path | None = typer.Option(
        None, "--real", exists=True, file_okay=False, help="Folder of real images."
    ),
    fake: Path | None = typer.Option(
        None, "--fake", exists=True, file_okay=False, help="Folder of synthetic images."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train the frequency detector's logistic model and write its parameter file.

    Give exactly one source: --builtin, --manifest FILE, or --real DIR with --fake DIR.
    """
    from forensics.training import frequency as training  # heavy imports only when used

    sources = sum([builtin, manifest is not None, real is not None or fake is not None])
    if sources != 1 or (real is None) != (fake is None):
        raise typer.BadParameter("give exactly one of --builtin, --manifest, or --real with --fake")
    say = (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))
    try:
        if builtin:
            params = training.train_builtin(progress=say)
        elif manifest is not None:
            params = training.train_files(*read_manifest(manifest), progress=say)
        else:
            assert real is not None and fake is not None  # one source, checked above
            params = training.train_files(_images_in(real), _images_in(fake), progress=say)
        digest = training.write_params(params, out)
    except (ForensicsError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    validation = params.get("validation")
    if as_json:
        typer.echo(json.dumps({"out": str(out), "sha256": digest, "validation": validation}))
        return
    typer.echo(f"wrote {out}\nsha256 {digest}")
    if validation:
        typer.echo(f"validation AUC {validation['auc']:.3f} on {validation['n_real']} real "
                   f"and {validation['n_fake']} synthetic generated images")  # fmt: skip
