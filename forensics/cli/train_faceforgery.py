"""`forensics train faceforgery`: train the face-forgery detector on self-blended real
faces and write its weights, model card and validation set."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from forensics.errors import ForensicsError


def faceforgery(
    manifest: list[Path] = typer.Option(
        ..., "--manifest", exists=True, dir_okay=False,
        help="TSV with 'label' and 'local_path' columns; repeatable. Only its real faces are used.",
    ),
    out: Path = typer.Option(..., "--out", file_okay=False, help="Folder for NAME.pt and NAME.card.json."),
    name: str = typer.Option("faceforgery", "--name", help="Base name of the two files written."),
    validation_set: Path | None = typer.Option(
        None, "--validation-set", file_okay=False,
        help="Write the held-out faces and their blends here (PNG + manifest.tsv) for "
             "`forensics validate faceforgery`."),
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="Training epochs (default 10)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default 20261202)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Torch CPU threads (default 2)."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Stop after N steps (smoke runs)."),
    fakes: str | None = typer.Option(
        None, "--fakes", help="Negatives: sbi (self-blends, the method; default), shared (the manifests' "
                              "fake face images) or both; the last two are ablations."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Fine-tune EfficientNet-Lite0 (pinned ImageNet weights) on real faces against
    self-blended versions of them; no fake is used. Deterministic: the same files,
    options, library versions and device give the same weight digest. Uses CUDA when
    present. The model card lists the held-out files and the held-out AUC."""
    from forensics.training import faceforgery as training  # torch and MediaPipe only when used
    from forensics.training.cnn import write_outputs

    options: dict[str, int | str | None] = {"--epochs": epochs, "--seed": seed, "--threads": threads,
                                            "--max-steps": max_steps, "--fakes": fakes}
    overrides: dict[str, Any] = {k.lstrip("-").replace("-", "_"): v for k, v in options.items() if v is not None}
    config = replace(training.FaceForgeryTrainConfig(), **overrides)
    parts = ["forensics", "train", "faceforgery"]
    for path in manifest:
        parts += ["--manifest", str(path)]
    parts += [part for flag, value in options.items() if value is not None for part in (flag, str(value))]
    parts += ["--out", str(out), "--name", name]
    if validation_set is not None:
        parts += ["--validation-set", str(validation_set)]
    command = shlex.join(parts)
    say = (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))
    try:
        result, pairs, sources = training.train(manifest, config, command=command,
                                                progress=not (no_progress or as_json), say=say)
        written = write_outputs(result, out, name)
        if validation_set is not None:
            written["validation_manifest"] = str(training.write_validation_set(pairs, sources, validation_set))
    except (ForensicsError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    held_out = result.card["held_out_metrics"]
    if as_json:
        typer.echo(json.dumps({**written, "held_out_metrics": held_out, "reproduce": command}))
        return
    typer.echo(f"wrote {written['weights']}\nsha256 {written['weights_sha256']}")
    typer.echo(f"wrote {written['card']}\nsha256 {written['card_sha256']}")
    if held_out["auc"] is not None:
        typer.echo(f"held-out faces vs their blends: AUC {held_out['auc']:.3f} "
                   f"[{held_out['ci95'][0]:.3f}, {held_out['ci95'][1]:.3f}] "
                   f"({held_out['n_real']} real, {held_out['n_fake']} blended)")
    if "validation_manifest" in written:
        typer.echo(f"validation set: {written['validation_manifest']}")
