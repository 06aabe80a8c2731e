"""`forensics analyze`, `forensics findings` and `forensics detectors`."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.console import Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from forensics.cli.distributed import BROKER_OPTION, analyze_queued
from forensics.cli.output import (
    EXAMINER_OPTION,
    EXIT_FAILED,
    JSON_OPTION,
    cell,
    emit_json,
    handle_errors,
    shown,
    stderr,
    stdout,
)
from forensics.cli.state import state

if TYPE_CHECKING:
    from forensics.model import Finding
    from forensics.storage.records import StoredFinding


@handle_errors
def analyze(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    detector: list[str] = typer.Option(
        [], "--detector", "-d", help="Detector to run (repeatable; default all)."),
    evidence: list[str] = typer.Option(
        [], "--evidence", help="SHA-256 (or unique prefix) of an item (repeatable; default all)."),
    examiner: str | None = EXAMINER_OPTION,
    jobs: int = typer.Option(
        1, "--jobs", "-j", min=1, help="Processes on this machine (each with cores / N threads for "
        "the networks); 1 runs everything in this process."),
    queue: bool = typer.Option(
        False, "--queue", help="Send the units not yet done to workers (`forensics worker`) "
        "through the message broker instead of running them here (PostgreSQL only)."),
    wait: bool = typer.Option(True, "--wait/--no-wait",
                              help="With --queue: follow the units until all are done or failed."),
    queue_name: str = typer.Option("forensics", "--queue-name", help="With --queue: the queue."),
    wait_timeout: float | None = typer.Option(
        None, "--wait-timeout", min=0,
        help="With --queue: stop waiting after this many seconds (exit 1; the work stays queued)."),
    broker: str | None = BROKER_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run detectors over the case's stored evidence; each finding is hashed, stored and
    chained. Re-running the same detector version on the same file records a re-run
    event, not a second finding. Exits 1 when any file could not be analysed."""
    # the pipeline brings the detectors (torch, MediaPipe, PyAV, SciPy): only for analysis
    from forensics.pipeline import analyze_case, select_detectors, select_evidence
    from forensics.storage.repository import check_examiner

    if queue and jobs > 1:
        raise typer.BadParameter("--jobs runs the units here; --queue sends them to workers: "
                                 "choose one", param_hint="--jobs")
    app_state = state(ctx)
    repository = app_state.repository
    examiner_name = check_examiner(examiner)
    items = select_evidence(repository.list_evidence(case), evidence)
    detectors = select_detectors(detector)
    if queue:
        analyze_queued(app_state.settings.db_url, repository, case, items, detectors,
                       examiner_name, broker=broker, queue_name=queue_name, wait=wait,
                       wait_timeout=wait_timeout, as_json=as_json)
        return
    total = sum(1 for d in detectors for i in items if i.kind in d.inputs)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=stderr, disable=as_json, transient=True) as bar:
        task = bar.add_task("analysing", total=total)
        step = functools.partial(_advance, bar, task)
        if jobs > 1:
            from forensics.distributed.pool import analyze_case_in_pool

            run = analyze_case_in_pool(
                repository, app_state.settings.home, case, examiner=examiner_name, jobs=jobs,
                detector_names=detector, evidence_prefixes=evidence, on_step=step)
        else:
            run = analyze_case(
                repository, app_state.settings.home, case, examiner=examiner_name,
                detector_names=detector, evidence_prefixes=evidence, on_step=step)
    if as_json:
        emit_json({"ok": not run.errors, "findings": [r.as_json() for r in run.recorded],
                   "not_applicable": [list(s) for s in run.skipped]})
    else:
        for r in run.recorded:
            state_word = "new" if r.new else "re-run"
            typer.echo(f"{r.evidence_label} {r.finding.detector} {r.finding.verdict.value} "
                       f"({state_word}) {r.finding.digest[:16]} {r.finding.reason}")
        for r in run.errors:
            stderr.print(f"[red]error[/] {r.evidence_label}: {shown(r.finding.reason)}", highlight=False)
    if run.errors:
        raise typer.Exit(EXIT_FAILED)


def _advance(bar: Progress, task: TaskID, what: str) -> None:
    bar.update(task, advance=1, description=what)


# verdict value -> Rich style of the Verdict column
_VERDICT_STYLE = {
    "supports_manipulation": "bold red",
    "supports_authenticity": "bold green",
    "inconclusive": "yellow",
    "not_validated": "dim",
    "error": "red",
}


def format_lr(log10_lr: float) -> str:
    """A likelihood ratio as an examiner writes it: "LR 25", "LR 1/25", "LR 3.2e6".

    Below 1 it is written as 1/x, so the strength reads the same both ways; from 10^4 on
    in powers of ten, computed from the log so that no size overflows.
    """
    size = abs(log10_lr)
    if size >= 4:
        exponent = math.floor(size)
        mantissa = round(10 ** (size - exponent), 1)
        if mantissa >= 10:  # 9.96 rounds up to the next power
            mantissa, exponent = 1.0, exponent + 1
        text = f"{mantissa:.1f}e{exponent}"
    elif size >= 1:
        text = f"{10 ** size:.0f}"
    else:
        text = f"{10 ** size:.2g}"
    return f"LR {text}" if log10_lr >= 0 else f"LR 1/{text}"


def conclusion(finding: Finding) -> str:
    """The ENFSI verbal conclusion with its LR; a finding without an LR says so."""
    if finding.log10_lr is None:
        return "not validated: no LR" if finding.verdict.value == "not_validated" else "no LR"
    lr = format_lr(finding.log10_lr)
    return f"{finding.verbal} ({lr})" if finding.verbal else lr


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _read(stored: StoredFinding) -> Finding | None:
    """The stored finding, or None when its body no longer parses (altered in the
    database): the listing goes on, and `forensics verify` names it."""
    try:
        return stored.finding
    except (ValueError, KeyError, TypeError):
        return None


_UNREADABLE = "stored body does not parse; run `forensics verify` on the case"


_HEADERS = ("Item", "Detector", "Verdict", "Conclusion", "Reason")
# When the terminal is too narrow, columns give up width in this order, each down to its
# floor: first the reason (it is cut, never wrapped), then the conclusion and verdict
# (they wrap), then the reason again. Item and detector never shrink.
_SHRINK_ORDER = ((4, 24), (3, 22), (2, 12), (4, 8), (3, 12))
_COLUMN_GAP = 3  # padding 1 + rule 1 + padding 1 between two columns


def _findings_table(stored: list[StoredFinding], width: int) -> Table:
    """One row per finding, fitted to ``width`` terminal columns."""
    rows: list[tuple[Text, ...]] = []
    for f in stored:
        finding = _read(f)
        detector = Text(f"{f.detector} {f.detector_version}")
        if finding is None:
            rows.append((Text(f.evidence_label), detector, Text("unreadable", "bold red"),
                         Text("-"), Text(_UNREADABLE)))
            continue
        rows.append((
            Text(f.evidence_label), detector, _verdict(finding.verdict.value),
            Text(conclusion(finding), "dim" if finding.log10_lr is None else ""),
            Text(_one_line(finding.reason)),
        ))
    widths = [max(len(header), *(row[i].cell_len for row in rows)) for i, header in enumerate(_HEADERS)]
    excess = sum(widths) + _COLUMN_GAP * (len(widths) - 1) - width
    for column, floor in _SHRINK_ORDER:
        if excess <= 0:
            break
        give = max(0, min(excess, widths[column] - floor))
        widths[column] -= give
        excess -= give
    # no vertical rules: on an 80-column terminal every column counts
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, column_width in zip(_HEADERS, widths, strict=True):
        table.add_column(header, width=column_width,
                         no_wrap=header in ("Item", "Detector", "Reason"), overflow="ellipsis")
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    return table


def _verdict(value: str) -> Text:
    """A verdict in words ("supports manipulation"), so it can wrap in a narrow column."""
    return Text(value.replace("_", " "), _VERDICT_STYLE.get(value, ""))


def _finding_record(f: StoredFinding) -> Group:
    """Everything about one finding, one field a line: digests are never cut."""
    finding = _read(f)
    title = Text.assemble((f"{f.evidence_label} ", "bold"), f"{f.detector} {f.detector_version}  ")
    fields: list[tuple[str, str]] = []
    if finding is None:
        title.append("unreadable", "bold red")
        fields.append(("Reason", _UNREADABLE))
    else:
        title.append_text(_verdict(finding.verdict.value))
        fields += [
            ("Conclusion", conclusion(finding)),
            ("log10 LR", "-" if finding.log10_lr is None else f"{finding.log10_lr:.3f}"),
            ("Score", "-" if finding.score is None else f"{finding.score:.6g}"),
            ("Reason", finding.reason),
        ]
    fields += [("Finding digest", f.digest), ("Evidence SHA-256", f.evidence_sha256)]
    if finding is not None:
        fields += [
            ("Config digest", finding.config_digest),
            ("Weights digest", finding.weights_digest or "- (rule-based)"),
        ]
        fields += [(f"Artifact {a.name}", f"{a.sha256} ({a.media_type})")
                   for a in finding.artifacts]
    fields.append(("Recorded (UTC)", f.recorded_at.isoformat(" ", "seconds")))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")  # a narrow terminal folds a digest, never cuts it
    for name, value in fields:
        grid.add_row(name, cell(value))
    return Group(title, grid, Text())


@handle_errors
def findings(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    wide: bool = typer.Option(False, "--wide", "-w", help="Every field of every finding: "
                              "full reason, score, finding, evidence, config and weights digests."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the findings recorded for a case: item, detector, verdict, the verbal
    conclusion with its likelihood ratio, and the reason (cut to one line; --wide for all)."""
    stored = state(ctx).repository.list_findings(case)
    if as_json:
        emit_json([dict(f.as_json(), evidence=f.evidence_label) for f in stored])
        return
    if not stored:
        stdout.print(f"case {case}: no findings yet (run `forensics analyze {case}`)",
                     highlight=False)
        return
    if wide:
        for f in stored:
            stdout.print(_finding_record(f))
        return
    stdout.print(_findings_table(stored, stdout.width))


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
