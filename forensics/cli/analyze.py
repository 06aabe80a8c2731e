"""`forensics analyze`, `forensics findings` and `forensics detectors`."""

from __future__ import annotations

import json

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from forensics.cli.output import (
    EXAMINER_OPTION,
    EXIT_FAILED,
    JSON_OPTION,
    emit_json,
    handle_errors,
    stderr,
    stdout,
)
from forensics.cli.state import state


@handle_errors
def analyze(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    detector: list[str] = typer.Option(
        [], "--detector", "-d", help="Detector to run (repeatable; default all)."),
    evidence: list[str] = typer.Option(
        [], "--evidence", help="SHA-256 (or unique prefix) of an item (repeatable; default all)."),
    examiner: str | None = EXAMINER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run detectors over the case's stored evidence; each finding is hashed, stored and
    chained. Re-running the same detector version on the same file records a re-run
    event, not a second finding. Exits 1 when any file could not be analysed."""
    # the pipeline brings the detectors (torch, MediaPipe, PyAV, SciPy): only for analysis
    from forensics.pipeline import analyze_case, select_detectors, select_evidence
    from forensics.storage.repository import check_examiner

    app_state = state(ctx)
    repository = app_state.repository
    examiner_name = check_examiner(examiner)
    items = select_evidence(repository.list_evidence(case), evidence)
    detectors = select_detectors(detector)
    total = sum(1 for d in detectors for i in items if i.kind in d.inputs)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=stderr, disable=as_json, transient=True) as bar:
        task = bar.add_task("analysing", total=total)
        run = analyze_case(
            repository, app_state.settings.home, case, examiner=examiner_name,
            detector_names=detector, evidence_prefixes=evidence,
            on_step=lambda what: bar.update(task, advance=1, description=what),
        )
    if as_json:
        emit_json({"ok": not run.errors, "findings": [r.as_json() for r in run.recorded],
                   "not_applicable": [list(s) for s in run.skipped]})
    else:
        for r in run.recorded:
            state_word = "new" if r.new else "re-run"
            typer.echo(f"{r.evidence_label} {r.finding.detector} {r.finding.verdict.value} "
                       f"({state_word}) {r.finding.digest[:16]} {r.finding.reason}")
        for r in run.errors:
            stderr.print(f"[red]error[/] {r.evidence_label}: {r.finding.reason}", highlight=False)
    if run.errors:
        raise typer.Exit(EXIT_FAILED)


@handle_errors
def findings(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the findings recorded for a case."""
    stored = state(ctx).repository.list_findings(case)
    if as_json:
        emit_json([dict(f.as_json(), evidence=f.evidence_label) for f in stored])
        return
    table = Table("Item", "Detector", "Verdict", "Score", "Reason", "Digest")
    for f in stored:
        body = json.loads(f.body)
        score = "" if body.get("score") is None else f"{body['score']:.3f}"
        table.add_row(f.evidence_label, f"{f.detector} {f.detector_version}", f.verdict,
                      score, body.get("reason", ""), f.digest[:16])
    stdout.print(table)


@handle_errors
def detectors(as_json: bool = JSON_OPTION) -> None:
    """List the registered detectors with version, inputs and weights digest."""
    from forensics.detectors.registry import available  # the detector classes load here

    described = [cls().describe() for cls in available().values()]
    if as_json:
        emit_json(described)
        return
    table = Table("Name", "Version", "Inputs", "Weights digest", "Description")
    for d in described:
        table.add_row(d["name"], d["version"], ", ".join(d["inputs"]),
                      d["weights_digest"] or "-", d["description"])
    stdout.print(table)
