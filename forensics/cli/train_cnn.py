"""`forensics train cnn`: train the CNN detector and write its weights and model card."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from forensics.errors import ForensicsError


def _command(
    manifests: list[Path], real: Path | None, fake: Path | None, out: Path, name: str,
    hold_out: list[str], options: Mapping[str, object],
) -> str:
    """The command line that reproduces this run (paths as given, defaults left out)."""
    parts = ["forensics", "train", "cnn"]
    for manifest in manifests:
        parts += ["--manifest", str(manifest)]
    if real is not None and fake is not None:
        parts += ["--real", str(real), "--fake", str(fake)]
    for group in hold_out:
        parts += ["--hold-out", group]
    for flag, value in options.items():
        if value is not None:
            parts += [flag, str(value)]
    return shlex.join([*parts, "--out", str(out), "--name", name])


def cnn(
    out: Path = typer.Option(..., "--out", file_okay=False, help="Folder for NAME.pt and NAME.card.json."),
    manifest: list[Path] | None = typer.Option(
        None, "--manifest", exists=True, dir_okay=False,
        help="TSV with 'label' and 'local_path' (or 'path') columns; repeatable. Rows of "
        "other categories than face_videos, synthetic_images, face_images are skipped.",
    ),
    real: Path | None = typer.Option(
        None, "--real", exists=True, file_okay=False, help="Folder of real images/videos."),
    fake: Path | None = typer.Option(
        None, "--fake", exists=True, file_okay=False, help="Folder of fake images/videos."),
    name: str = typer.Option("cnn", "--name", help="Base name of the two files written."),
    hold_out: list[str] | None = typer.Option(
        None, "--hold-out", help="Identity group always held out for testing (e.g. ffpp-519); repeatable."
    ),
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="Training epochs [default: 40]."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed [default: 20261126]."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="Torch CPU threads [default: 1]."),
    test_share: float | None = typer.Option(
        None, "--test-share", min=0.0, max=0.9, help="Share of groups held out per stratum [default: 0.25]."
    ),
    frames_per_video: int | None = typer.Option(
        None, "--frames-per-video", min=1, help="Frames sampled per video [default: 32]."
    ),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Stop after N steps (smoke runs)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Train the CNN detector (Meso-4 on aligned face crops) and write weights + model card.

    Give --manifest FILE (repeatable) or --real DIR with --fake DIR. Deterministic: the
    same files, options, library versions and device give the same weight digest. Uses
    CUDA when present. The model card lists the held-out files and their metrics.
    """
    from forensics.training import cnn as training  # torch and MediaPipe only when used

    manifests = list(manifest or [])
    if (real is None) != (fake is None) or (not manifests and real is None):
        raise typer.BadParameter("give --manifest FILE, or --real DIR with --fake DIR")
    options: dict[str, int | float | None] = {
        "--epochs": epochs, "--seed": seed, "--threads": threads, "--test-share": test_share,
        "--frames-per-video": frames_per_video, "--max-steps": max_steps,
    }  # fmt: skip
    # flag -> TrainConfig field; typer has checked each value's type and range
    overrides: dict[str, Any] = {
        k.lstrip("-").replace("-", "_"): v for k, v in options.items() if v is not None
    }
    config = replace(training.TrainConfig(), hold_out=tuple(hold_out or ()), **overrides)
    say = (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))
    command = _command(manifests, real, fake, out, name, list(hold_out or []), options)
    try:
        result = training.train(
            manifests, real, fake, config, command=command,
            progress=not (no_progress or as_json), say=say,
        )  # fmt: skip
        written = training.write_outputs(result, out, name)
    except (ForensicsError, ValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    card = result.card
    summary = {
        **written,
        "parameters": card["architecture"]["parameters"],
        "training_seconds": card["training"]["seconds"],
        "held_out_metrics": {k: v for k, v in card["held_out_metrics"].items() if k != "clip_scores"},
        "reproduce": command,
    }
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(f"wrote {written['weights']}\nsha256 {written['weights_sha256']}")
    typer.echo(f"wrote {written['card']}\nsha256 {written['card_sha256']}")
    for part, m in summary["held_out_metrics"].items():
        if m and m.get("auc") is not None:
            typer.echo(f"held-out {part}: AUC {m['auc']:.3f} [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}] "
                       f"({m['n_real']} real, {m['n_fake']} fake)")  # fmt: skip
