"""`forensics validate`: measure a detector's error rates and fit its calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from forensics.cli.output import JSON_OPTION, emit_json, handle_errors, stderr
from forensics.cli.state import state
from forensics.errors import ConfigurationError

if TYPE_CHECKING:
    from forensics.validation.manifest import LabelledSet


def _interval(value: dict) -> str:
    return f"{value['estimate']:.3f} [{value['low']:.3f}, {value['high']:.3f}]"


def _rate(value: dict) -> str:
    return f"{value['rate']:.3f} [{value['low']:.3f}, {value['high']:.3f}] ({value['errors']}/{value['n']})"


@handle_errors
def validate(
    ctx: typer.Context,
    detector: str = typer.Argument(..., help="Detector name."),
    manifest: Path | None = typer.Option(None, "--manifest", help="TSV with label and path (or local_path) columns."),
    category: list[str] = typer.Option([], "--category", help="Only manifest rows of this category (repeatable)."),
    group_column: str | None = typer.Option(
        None, "--group-column", help="Manifest column naming the source video/identity; "
        "items of one group stay on one side of the split."),
    real: Path | None = typer.Option(None, "--real", help="Folder of authentic files."),
    fake: Path | None = typer.Option(None, "--fake", help="Folder of manipulated/synthetic files."),
    transform: str = typer.Option(
        "identity", "--transform", help="Score transform before calibration: identity or logit."),
    calibration_share: float = typer.Option(
        0.5, "--calibration-share", min=0.1, max=0.9, help="Share of groups used to fit the calibration."),
    out: Path | None = typer.Option(None, "--out", help="Write the validation record (JSON) here."),
    store: bool = typer.Option(True, "--store/--no-store", help="Keep the record in the case database."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a detector over labelled files, fit score -> log10 LR on a calibration split,
    and report AUC, EER, Cllr, min Cllr and error rates with 95% intervals on the rest."""
    if (manifest is None) == (real is None or fake is None):
        raise ConfigurationError("give either --manifest FILE or both --real DIR and --fake DIR")
    if transform not in ("identity", "logit"):
        raise ConfigurationError(f"--transform must be identity or logit, not {transform!r}")
    # detectors and SciPy-based metrics load only for this command
    from forensics.detectors.registry import get_detector
    from forensics.validation.fusion_runner import FUSION_NAME
    from forensics.validation.manifest import read_folders, read_manifest
    from forensics.validation.runner import validate as run_validation

    labelled = (read_manifest(manifest, categories=category, group_column=group_column)
                if manifest is not None else read_folders(real, fake))  # type: ignore[arg-type]
    if detector == FUSION_NAME:
        _validate_fusion(labelled, calibration_share, out, as_json)
        return
    instance = get_detector(detector)()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=stderr, disable=as_json, transient=True) as bar:
        task = bar.add_task(f"validating {detector}", total=len(labelled.items))
        record, scored = run_validation(
            instance, labelled, transform=transform, calibration_share=calibration_share,  # type: ignore[arg-type]
            on_item=lambda _item: bar.advance(task),
        )
    if out is not None:
        out.write_text(record.to_text(), encoding="utf-8")
    if store:
        state(ctx).repository.record_validation(record)
    if as_json:
        emit_json(dict(record.as_json(), digest=record.digest,
                       unscored=[{"path": str(s.item.path), "reason": s.reason}
                                 for s in scored if s.score is None]))
        return
    m, d = record.metrics, record.data
    typer.echo(f"{record.detector} {record.detector_version} on {d['name']} "
               f"(manifest digest {d['manifest_digest'][:16]})")
    typer.echo(f"calibration split: {d['calibration_split']}; metric split: {d['metric_split']}; "
               f"unscored: {d['unscored']}")
    typer.echo(f"AUC {_interval(m['auc'])}  EER {m['eer']:.3f}  Cllr {_interval(m['cllr'])}  "
               f"min Cllr {m['min_cllr']:.3f}  ECE {m['ece']:.3f}")
    typer.echo(f"false positives (real stated as manipulated, LR >= 2): {_rate(m['false_positive_rate'])}")
    typer.echo(f"false negatives (fake stated as authentic, LR <= 1/2): {_rate(m['false_negative_rate'])}")
    typer.echo(f"record digest {record.digest}" + (f", written to {out}" if out else ""))


def _validate_fusion(labelled: LabelledSet, calibration_share: float, out: Path | None,
                     as_json: bool) -> None:
    """`forensics validate fusion`: fit and measure the combination of the validated detectors."""
    from forensics.detectors.registry import detectors as registered_detectors
    from forensics.validation.fusion_runner import validate_fusion

    # detectors only: the fusion combiner reads no file and cannot be one of its own inputs
    detectors = [cls() for cls in registered_detectors().values()]
    validated = [d for d in detectors if d.validation is not None]
    if not validated:
        raise ConfigurationError("no detector has a validation record: validate them first")
    content = validate_fusion(validated, labelled, calibration_share=calibration_share)
    if out is not None:
        out.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if as_json:
        emit_json(content)
        return
    m = content["record"]["metrics"]
    typer.echo(f"fusion of {', '.join(d.name for d in validated)}: weights "
               f"{content['model']['weights']}, intercept {content['model']['intercept']:.3f}")
    typer.echo(f"metric split: {content['record']['data']['metric_split']}")
    typer.echo(f"AUC {_interval(m['auc'])}  EER {m['eer']:.3f}  Cllr {_interval(m['cllr'])}  "
               f"min Cllr {m['min_cllr']:.3f}  ECE {m['ece']:.3f}")
    typer.echo(f"false positives: {_rate(m['false_positive_rate'])}; "
               f"false negatives: {_rate(m['false_negative_rate'])}")
