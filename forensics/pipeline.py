"""Run detectors over a case's stored evidence and persist their findings.

The unit of work is (evidence item, method name, version, config digest) -> findings;
persisting and chaining happen in the storage repository only. Each evidence item's
findings from one detector are recorded in one transaction, artifacts written first.

``analyse_items`` is the one way detectors run over files (analysis, validation): each
item's media are decoded once for all the detectors that read it, and detectors that
read no pixels (metadata) run over all items in batches. ``run_units`` is the one way
their findings are recorded, in-process (``analyze_case``) and on a queue worker
(``forensics.distributed``) alike; combiners (the fusion) then add one finding per item
from that item's findings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics.detectors.base import Combiner, Detector, Method
from forensics.detectors.registry import combiners, detectors, get_detector
from forensics.errors import CaseError, EvidenceError, IntegrityError
from forensics.evidence.hashing import sha256_file
from forensics.evidence.store import CaseStore
from forensics.media.item import ItemMedia, StillFaces
from forensics.model import EvidenceInput, EvidenceItem, Finding, Verdict
from forensics.model.work import UnitState, WorkUnit
from forensics.storage.ledger import WorkLedger
from forensics.storage.repository import Repository, check_examiner

AnyDetector = Detector[Any]
AnyMethod = Method[Any]


@dataclass(frozen=True)
class RecordedFinding:
    """A finding as the pipeline recorded it."""

    evidence_label: str
    finding: Finding
    new: bool  #: False when the same digest was already stored (a re-run)

    def as_json(self) -> dict[str, Any]:
        out = self.finding.as_json()
        out.update(evidence=self.evidence_label, new=self.new)
        return out


@dataclass(frozen=True)
class AnalysisRun:
    """What one `analyze` did."""

    recorded: tuple[RecordedFinding, ...]
    skipped: tuple[tuple[str, str], ...]  #: (evidence label, detector) pairs not applicable

    @property
    def errors(self) -> list[RecordedFinding]:
        return [r for r in self.recorded if r.finding.verdict == Verdict.ERROR]


def select_evidence(items: Sequence[EvidenceItem], wanted: Sequence[str]) -> list[EvidenceItem]:
    """Items whose SHA-256 starts with one of ``wanted`` (all when empty)."""
    if not wanted:
        return list(items)
    chosen: list[EvidenceItem] = []
    for prefix in wanted:
        matches = [i for i in items if i.sha256.startswith(prefix.lower())]
        if len(matches) != 1:
            problem = "no evidence item" if not matches else "several evidence items"
            raise CaseError(f"{problem} with SHA-256 starting {prefix!r}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def select_detectors(names: Sequence[str]) -> list[AnyDetector]:
    """The named detectors (default: every registered one), configured by default."""
    classes = [get_detector(n) for n in names] if names else list(detectors().values())
    return [cls() for cls in classes]


class Analyser:
    """Detectors with their per-run resources (models loaded, one stay-open exiftool)
    acquired on first use and kept, and one face search, for as many runs as the holder
    needs (a queue worker keeps one for its life)."""

    def __init__(self, chosen: Sequence[AnyDetector]) -> None:
        self.detectors = list(chosen)
        self._stack = ExitStack()
        self._entered: set[int] = set()
        self._faces: StillFaces | None = None

    def __enter__(self) -> Analyser:
        self._faces = self._stack.enter_context(StillFaces())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()
        self._entered.clear()
        self._faces = None

    def run(
        self, items: Sequence[EvidenceInput], only: Sequence[AnyDetector] | None = None
    ) -> Iterator[tuple[EvidenceInput, AnyDetector, list[Finding]]]:
        """Every applicable (item, detector) pair with its findings (``only``: a subset
        of this analyser's detectors).

        Detectors that read no pixels run first, batched over all items; then each
        item's media are decoded once (``ItemMedia``) and shared by the detectors that
        read it, with one face search shared by all items.
        """
        assert self._faces is not None, "run inside `with Analyser(...)`"
        chosen = self.detectors if only is None else list(only)
        for detector in chosen:
            if id(detector) not in self._entered:
                self._stack.enter_context(detector)
                self._entered.add(id(detector))
        for detector in (d for d in chosen if not d.uses_media):
            for evidence, findings in detector.run_batch(items):
                yield evidence, detector, findings
        readers = [d for d in chosen if d.uses_media]
        for evidence in items:
            users = [d for d in readers if d.accepts(evidence)]
            needs = [n for d in users if (n := d.video_needs()) is not None]
            media = ItemMedia(evidence, needs, self._faces)
            for detector in users:
                yield evidence, detector, detector.run(evidence, media)


def analyse_items(
    chosen: Sequence[AnyDetector], items: Sequence[EvidenceInput]
) -> Iterator[tuple[EvidenceInput, AnyDetector, list[Finding]]]:
    """Every applicable (item, detector) pair with its findings (see ``Analyser.run``)."""
    with Analyser(chosen) as analyser:
        yield from analyser.run(items)


def unit_of(evidence_sha256: str, method: AnyMethod) -> WorkUnit:
    """The unit of work of one method (this build of it) over one item."""
    return WorkUnit(evidence_sha256, method.name, method.version, method.config_digest)


def evidence_inputs(store: CaseStore, items: Sequence[EvidenceItem]) -> list[EvidenceInput]:
    """The stored copies of ``items``, as detectors read them."""
    return [
        EvidenceInput(
            path=store.evidence_path(item.sha256),
            sha256=item.sha256,
            media_type=item.media_type,
            original_name=item.original_name,
        )
        for item in items
    ]


def check_stored(evidence: EvidenceInput) -> None:
    """The stored copy is there and still has its recorded SHA-256: findings are never
    made from other content than the item they are recorded for."""
    try:
        with evidence.path.open("rb") as handle:
            actual = sha256_file(handle)
    except OSError as exc:
        raise EvidenceError(evidence.path, f"stored evidence unreadable ({exc.strerror or exc})"
                            ) from exc
    if actual != evidence.sha256:
        raise IntegrityError(
            f"{evidence.path}: stored evidence has SHA-256 {actual}, recorded {evidence.sha256}; "
            "not analysed (run `forensics verify` on the case)"
        )


@dataclass(frozen=True)
class Recording:
    """Where and as whom findings are recorded. With a ledger (queued work) each unit is
    recorded exactly once: a unit found done is neither run nor recorded again."""

    repository: Repository
    store: CaseStore
    case_number: str
    examiner: str
    ledger: WorkLedger | None = None
    host: str = ""  #: the worker, named in each event's payload


def run_units(
    recording: Recording,
    analyser: Analyser,
    work: Sequence[tuple[EvidenceInput, Sequence[AnyDetector]]],
    labels: Mapping[str, str],
    on_step: Callable[[str], None] | None = None,
) -> list[RecordedFinding]:
    """Run each item's detectors (items sharing a detector list in one batch), record
    their findings and return what was recorded."""
    for evidence, _ in work:
        check_stored(evidence)
    # items that run the same detectors form one batch (the metadata detector batches them)
    groups: dict[tuple[str, ...], list[EvidenceInput]] = {}
    chosen: dict[tuple[str, ...], Sequence[AnyDetector]] = {}
    for evidence, detectors_of_item in work:
        if recording.ledger is not None:
            to_run = set(recording.ledger.start(
                recording.case_number, [unit_of(evidence.sha256, d) for d in detectors_of_item],
                recording.host))
            detectors_of_item = [d for d in detectors_of_item if unit_of(evidence.sha256, d) in to_run]
        key = tuple(d.name for d in detectors_of_item)
        groups.setdefault(key, []).append(evidence)
        chosen[key] = detectors_of_item
    recorded: list[RecordedFinding] = []
    for key, items in groups.items():
        if not chosen[key]:
            continue
        for evidence, detector, findings in analyser.run(items, chosen[key]):
            if on_step is not None:
                on_step(f"{detector.name} {labels[evidence.sha256]}")
            recorded.extend(_record(recording, labels[evidence.sha256], evidence.sha256,
                                    findings, unit_of(evidence.sha256, detector)))
    return recorded


def _record(recording: Recording, label: str, evidence_sha256: str,
            findings: Sequence[Finding], unit: WorkUnit) -> list[RecordedFinding]:
    results = recording.repository.record_findings(
        recording.case_number, evidence_sha256, findings, examiner=recording.examiner,
        before_commit=functools.partial(_store_artifacts, recording.store, findings),
        unit=unit if recording.ledger is not None else None, host=recording.host,
    )
    if results is None:  # done by another delivery of the same unit meanwhile
        return []
    return [RecordedFinding(label, finding, new)
            for finding, (_, new) in zip(findings, results, strict=True)]


@dataclass(frozen=True)
class AnalysisPlan:
    """What one `analyze` runs: the chosen items as detectors read them, their labels,
    the chosen detectors, the pairs that do not apply, and where findings are recorded."""

    inputs: tuple[EvidenceInput, ...]
    labels: Mapping[str, str]
    detectors: tuple[AnyDetector, ...]
    skipped: tuple[tuple[str, str], ...]
    recording: Recording


def plan_analysis(
    repository: Repository,
    home: Path,
    case_number: str,
    *,
    examiner: str,
    detector_names: Sequence[str] = (),
    evidence_prefixes: Sequence[str] = (),
) -> AnalysisPlan:
    """The chosen detectors (default: all) over the chosen evidence (default: all)."""
    examiner = check_examiner(examiner)
    store = CaseStore(home, case_number)
    items = select_evidence(repository.list_evidence(case_number), evidence_prefixes)
    inputs = evidence_inputs(store, items)
    chosen = select_detectors(detector_names)
    labels = {item.sha256: item.label for item in items}
    skipped = tuple((labels[e.sha256], d.name) for d in chosen for e in inputs if not d.accepts(e))
    return AnalysisPlan(tuple(inputs), labels, tuple(chosen), skipped,
                        Recording(repository, store, case_number, examiner))


def analyze_case(
    repository: Repository,
    home: Path,
    case_number: str,
    *,
    examiner: str,
    detector_names: Sequence[str] = (),
    evidence_prefixes: Sequence[str] = (),
    on_step: Callable[[str], None] | None = None,
) -> AnalysisRun:
    """Run the chosen detectors (default: all) over the chosen evidence (default: all)
    in this process, then every registered combiner over each item's findings of this run."""
    plan = plan_analysis(repository, home, case_number, examiner=examiner,
                         detector_names=detector_names, evidence_prefixes=evidence_prefixes)
    with Analyser(plan.detectors) as analyser:
        recorded = run_units(plan.recording, analyser, [(e, plan.detectors) for e in plan.inputs],
                             plan.labels, on_step)
    recorded.extend(combine_recorded(plan.recording, recorded))
    return AnalysisRun(tuple(recorded), plan.skipped)


def combine_recorded(recording: Recording, recorded: Sequence[RecordedFinding]) -> list[RecordedFinding]:
    """Each registered combiner's finding per item, from this run's findings."""
    by_item: dict[str, list[RecordedFinding]] = {}
    for r in recorded:
        by_item.setdefault(r.finding.evidence_sha256, []).append(r)
    combined = []
    for cls in combiners().values():
        combiner = cls()
        for sha, results in by_item.items():
            finding = combiner.combine(sha, [r.finding for r in results])
            if finding is not None:
                combined.extend(_record(recording, results[0].evidence_label, sha, [finding],
                                        unit_of(sha, combiner)))
    return combined


def combine_queued(recording: Recording, detectors_run: Sequence[AnyDetector],
                   evidence_sha256: str, label: str, combiner: Combiner[Any]
                   ) -> list[RecordedFinding]:
    """A combiner's unit for one item, from the findings of the item's detector units
    (of the builds in ``detectors_run``) once they are all done; else the unit fails
    with what it waits for (queueing the case again sends what is missing)."""
    ledger = recording.ledger
    assert ledger is not None, "queued work has a ledger"
    unit = unit_of(evidence_sha256, combiner)
    if not ledger.start(recording.case_number, [unit], recording.host):
        return []
    builds = {unit_of(evidence_sha256, d) for d in detectors_run}
    inputs = [s for s in ledger.item_statuses(recording.case_number, evidence_sha256)
              if s.unit in builds]
    waiting = [f"{s.unit.method} ({s.state})" for s in inputs if s.state != UnitState.DONE]
    if waiting:
        ledger.fail(recording.case_number, unit, "detector units not done: " + ", ".join(waiting),
                    recording.host)
        return []
    digests = {d for s in inputs for d in s.finding_digests}
    findings = [f.finding for f in recording.repository.list_findings(
        recording.case_number, evidence_sha256=evidence_sha256) if f.digest in digests]
    finding = combiner.combine(evidence_sha256, findings)
    return _record(recording, label, evidence_sha256, [] if finding is None else [finding], unit)


def _store_artifacts(store: CaseStore, findings: Sequence[Finding]) -> None:
    for finding in findings:
        for artifact in finding.artifacts:
            assert artifact.data is not None, "a detector's artifact carries its data"
            store.put_artifact(artifact.sha256, artifact.data)
