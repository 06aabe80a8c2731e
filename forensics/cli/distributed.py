"""`forensics worker` and `forensics status`: distributed analysis on Celery workers."""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from forensics.cli.output import (
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
from forensics.errors import ConfigurationError

if TYPE_CHECKING:
    from forensics.detectors.base import Detector
    from forensics.model import EvidenceItem
    from forensics.storage.repository import Repository

BROKER_OPTION = typer.Option(
    None, "--broker", envvar="FORENSICS_BROKER_URL",
    help="Message broker URL, e.g. amqp://guest:guest@127.0.0.1:5672// or redis://127.0.0.1:6379/0 "
    "[env FORENSICS_BROKER_URL].")
STATES = ("queued", "running", "done", "failed")


@handle_errors
def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(
        os.cpu_count() or 1, "--concurrency", "-c", min=1, help="Worker processes on this machine."),
    queues: str = typer.Option("forensics", "--queues", "-Q",
                               help="Comma-separated queues to take units from."),
    threads: int | None = typer.Option(
        None, "--threads", min=1,
        help="Threads per process for the networks [default: cores / concurrency]."),
    broker: str | None = BROKER_OPTION,
    loglevel: str = typer.Option("INFO", "--loglevel", help="Celery log level."),
) -> None:
    """Run a worker: take queued units of analysis from the broker and record their
    findings in the case database (PostgreSQL, shared by every worker) from the evidence
    store (FORENSICS_HOME, on a filesystem every worker mounts). Stops on SIGTERM or
    Ctrl-C after the units in hand."""
    from forensics.distributed.app import app, broker_url, connect, require_shared_database
    from forensics.settings import ENV_DB_URL, ENV_HOME
    from forensics.storage.engine import open_database

    settings = state(ctx).settings
    require_shared_database(settings.db_url)
    if not settings.home.is_dir():
        raise ConfigurationError(f"{settings.home}: no evidence store here (set --home or {ENV_HOME} "
                                 "to the shared case root)")
    open_database(settings.db_url).dispose()  # schema checked now; each process connects itself
    url = broker_url(broker)
    connect(url, "the worker did not start")
    app.conf.broker_url = url
    # the worker's processes read these (they are forked after this point)
    os.environ[ENV_DB_URL] = settings.db_url
    os.environ[ENV_HOME] = str(settings.home)
    from forensics.nets import share_cores

    share_cores(threads or max(1, (os.cpu_count() or 1) // concurrency))  # the forks read it
    app.worker_main([
        "worker", f"--concurrency={concurrency}", "--pool=prefork", f"--queues={queues}",
        f"--loglevel={loglevel}", f"--hostname=forensics-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip", "--without-mingle",
    ])


@handle_errors
def status(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case number."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Queued analysis of a case: units queued, running, done and failed per method, and
    why each failed unit failed (`forensics analyze CASE --queue` sends them again)."""
    from forensics.storage.ledger import WorkLedger

    statuses = WorkLedger(state(ctx).repository.engine).statuses(case)
    per_method: dict[str, Counter[str]] = {}
    for s in statuses:
        per_method.setdefault(s.unit.method, Counter())[s.state.value] += 1
    failed = [s for s in statuses if s.state.value == "failed"]
    if as_json:
        emit_json({"case": case,
                   "methods": {m: {k: c[k] for k in STATES} for m, c in per_method.items()},
                   "failed": [dict(s.unit.as_json(), evidence=s.evidence_label, reason=s.reason,
                                   worker=s.worker, attempts=s.attempts) for s in failed]})
        return
    if not statuses:
        stdout.print(f"case {case}: nothing queued (`forensics analyze {case} --queue`)",
                     highlight=False)
        return
    table = Table("Method", *(s.capitalize() for s in STATES))
    for method, counts in per_method.items():
        table.add_row(method, *(str(counts[k]) for k in STATES))
    stdout.print(table)
    for s in failed:
        stdout.print(cell(f"failed {s.evidence_label} {s.unit.method}: {s.reason}"))


def analyze_queued(db_url: str, repository: Repository, case: str, items: Sequence[EvidenceItem],
                   detectors: Sequence[Detector[Any]], examiner: str, *, broker: str | None,
                   queue_name: str, wait: bool, wait_timeout: float | None, as_json: bool) -> None:
    """`forensics analyze CASE --queue`: send the units not yet done, then (unless
    --no-wait) follow them to the end; exit 1 when a unit failed or a file could not
    be analysed."""
    from forensics.distributed import enqueue
    from forensics.distributed.app import broker_url, require_shared_database
    from forensics.storage.ledger import WorkLedger

    require_shared_database(db_url)
    ledger = WorkLedger(repository.engine)
    units, combined = enqueue.plan_units(items, detectors)
    queued = enqueue.enqueue(ledger, broker_url(broker), case, units, combined, examiner,
                             queue=queue_name)
    sent = len({u.evidence_sha256 for u in queued.units})
    if not wait or not queued.units:
        if as_json:
            emit_json({"ok": True, "queued": len(queued.units), "items": sent})
        else:
            stdout.print(f"case {case}: {len(queued.units)} units of {sent} items queued"
                         + (f"; follow with `forensics status {case}`" if queued.units else
                            " (every unit is done)"), highlight=False)
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=stderr, disable=as_json, transient=True) as bar:
        task = bar.add_task("queued")

        def show(counts: Counter[Any]) -> None:
            bar.update(task, completed=counts["done"] + counts["failed"], total=sum(counts.values()),
                       description=" ".join(f"{k} {counts[k]}" for k in STATES))

        statuses = enqueue.wait(ledger, case, queued, show, wait_timeout)
    digests = {d for s in statuses for d in s.finding_digests}
    errors = [f for f in repository.list_findings(case) if f.digest in digests and f.verdict == "error"]
    failed = [s for s in statuses if s.state.value == "failed"]
    if as_json:
        emit_json({"ok": not (failed or errors), "units": [
            dict(s.unit.as_json(), evidence=s.evidence_label, state=s.state.value, reason=s.reason,
                 worker=s.worker, attempts=s.attempts, findings=list(s.finding_digests))
            for s in statuses]})
    else:
        counts = Counter(s.state.value for s in statuses)
        stdout.print(f"case {case}: " + ", ".join(f"{counts[k]} {k}" for k in STATES if counts[k]),
                     highlight=False)
        for s in failed:
            stderr.print(f"[red]failed[/] {s.evidence_label} {s.unit.method}: {shown(s.reason)}",
                         highlight=False)
        for f in errors:
            stderr.print(f"[red]error[/] {f.evidence_label} {f.detector}: "
                         f"{shown(f.finding.reason)}", highlight=False)
    if failed or errors:
        raise typer.Exit(EXIT_FAILED)
