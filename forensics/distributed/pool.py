"""A local process pool: one case's items analysed by N processes on this machine.

Each process opens its own database connection and keeps one ``Analyser`` (models
loaded, exiftool started), and runs ``run_units`` item by item, the function in-process
analysis and the queue workers run; the combiners then run here over the findings.
Processes are spawned, not forked: a fork would copy the parent's database connections
and thread pools (OpenMP) into the children.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context, util
from pathlib import Path
from typing import Any

from forensics.evidence.store import CaseStore
from forensics.model import EvidenceInput
from forensics.pipeline import (
    Analyser,
    AnalysisRun,
    RecordedFinding,
    Recording,
    combine_recorded,
    plan_analysis,
    run_units,
    select_detectors,
)
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository

# this process's analyser and recording, when it is one of the pool's processes
_PROCESS: dict[str, Any] = {}


def _start_process(db_url: str, home: str, case_number: str, examiner: str,
                   detector_names: Sequence[str], threads: int) -> None:
    from forensics.nets import limit_threads

    limit_threads(threads)
    analyser = Analyser(select_detectors(detector_names)).__enter__()
    util.Finalize(analyser, analyser.__exit__, args=(None, None, None), exitpriority=10)
    repository = Repository(open_database(db_url))
    _PROCESS.update(analyser=analyser, recording=Recording(
        repository, CaseStore(Path(home), case_number), case_number, examiner))


def _analyse_item(evidence: EvidenceInput, label: str) -> list[RecordedFinding]:
    analyser: Analyser = _PROCESS["analyser"]
    return run_units(_PROCESS["recording"], analyser, [(evidence, analyser.detectors)],
                     {evidence.sha256: label})


def analyze_case_in_pool(
    repository: Repository,
    home: Path,
    case_number: str,
    *,
    examiner: str,
    jobs: int,
    detector_names: Sequence[str] = (),
    evidence_prefixes: Sequence[str] = (),
    on_step: Callable[[str], None] | None = None,
) -> AnalysisRun:
    """``analyze_case`` with ``jobs`` processes (each with cores / jobs network threads):
    the same findings, recorded in item order per process (largest files first, so
    that a long video does not start last)."""
    plan = plan_analysis(repository, home, case_number, examiner=examiner,
                         detector_names=detector_names, evidence_prefixes=evidence_prefixes)
    order = {e.sha256: i for i, e in enumerate(plan.inputs)}
    threads = max(1, (os.cpu_count() or 1) // jobs)
    url = repository.engine.url.render_as_string(hide_password=False)
    names = [d.name for d in plan.detectors]
    recorded: list[RecordedFinding] = []
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_start_process,
                             initargs=(url, str(home), case_number, plan.recording.examiner,
                                       names, threads)) as pool:
        by_size = sorted(plan.inputs, key=lambda e: e.path.stat().st_size, reverse=True)
        futures = [pool.submit(_analyse_item, e, plan.labels[e.sha256]) for e in by_size]
        for future in as_completed(futures):
            results = future.result()
            if on_step is not None:
                for sha, detector in dict.fromkeys((r.finding.evidence_sha256, r.finding.detector)
                                                   for r in results):
                    on_step(f"{detector} {plan.labels[sha]}")
            recorded.extend(results)
    recorded.sort(key=lambda r: order[r.finding.evidence_sha256])
    recorded.extend(combine_recorded(plan.recording, recorded))
    return AnalysisRun(tuple(recorded), plan.skipped)
