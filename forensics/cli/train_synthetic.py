"""`forensics train synthetic`: fit the generated-image detector's head on frozen CLIP
features and write its parameter file and validation set."""

from __future__ import annotations

import json
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from forensics.errors import ForensicsError


def synthetic(
    manifest: list[Path] = typer.Option(
        ..., "--manifest", exists=True, dir_okay=False,
        help="TSV with 'label' and 'local_path' columns (and optionally 'generator_or_source'); repeatable.",
    ),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="Parameter file to write (JSON)."),
    validation_set: Path | None = typer.Option(
        None, "--validation-set", file_okay=False,
        help="Write a manifest of the held-out files here for `forensics validate synthetic`."),
    feature_set: str | None = typer.Option(
        None, "--features", help="clip-embed, clip-last or clip-blocks (default clip-blocks)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default 20261202)."),
    views: int | None = typer.Option(None, "--views", min=0, help="Augmented views per training image (default 2)."),
    no_rebuilt: bool = typer.Option(False, "--no-rebuilt",
                                    help="Leave out the decoder-rebuilt reals (extra fakes made here)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Fit an L2-penalised logistic head on frozen CLIP ViT-B/16 features of the
    manifests' real and generated images (split by identity group within each family;
    the held-out part is the validation set). Deterministic."""
    from forensics.training import synthetic as training  # onnxruntime and torch only when used

    options: dict[str, Any] = {"--features": feature_set, "--seed": seed, "--views": views}
    overrides: dict[str, Any] = {"feature_set": feature_set, "seed": seed, "augmented_views": views,
                                 "rebuilt_fakes": False if no_rebuilt else None}
    config = replace(training.SyntheticTrainConfig(), **{k: v for k, v in overrides.items() if v is not None})
    parts = ["forensics", "train", "synthetic"]
    for path in manifest:
        parts += ["--manifest", str(path)]
    parts += [part for flag, value in options.items() if value is not None for part in (flag, str(value))]
    parts += ["--no-rebuilt"] if no_rebuilt else []
    parts += ["--out", str(out)]
    if validation_set is not None:
        parts += ["--validation-set", str(validation_set)]
    command = shlex.join(parts)
    say = (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))
    try:
        params, sources, held = training.train(manifest, config, command=command, say=say)
        digest = training.write_params(params, out)
        written = {"out": str(out), "sha256": digest}
        if validation_set is not None:
            written["validation_manifest"] = str(training.write_validation_set(sources, held, validation_set))
    except (ForensicsError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    metrics = params["card"]["held_out_metrics"]
    if as_json:
        typer.echo(json.dumps({**written, "held_out_metrics": metrics, "reproduce": command}))
        return
    typer.echo(f"wrote {out}\nsha256 {digest}")
    typer.echo(f"held-out images: AUC {metrics['auc']:.3f} [{metrics['ci95'][0]:.3f}, {metrics['ci95'][1]:.3f}] "
               f"({metrics['n_real']} real, {metrics['n_fake']} generated)")
    if "validation_manifest" in written:
        typer.echo(f"validation set: {written['validation_manifest']}")
