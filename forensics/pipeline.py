"""Run detectors over a case's stored evidence and persist their findings.

The unit of work is (detector name + config, one stored file) -> findings; persisting
and chaining happen in the storage repository only. Each evidence item's findings
from one detector are recorded in one transaction, artifacts written first.

``analyse_items`` is the one way detectors run over files (analysis, validation): each
item's media are decoded once for all the detectors that read it, and detectors that
read no pixels (metadata) run over all items in batches. Combiners (the fusion) then
add one finding per item from that item's findings.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics.detectors.base import Detector
from forensics.detectors.registry import combiners, detectors, get_detector
from forensics.errors import CaseError
from forensics.evidence.store import CaseStore
from forensics.media.item import ItemMedia, StillFaces
from forensics.model import EvidenceInput, EvidenceItem, Finding, Verdict
from forensics.storage.repository import Repository, check_examiner

AnyDetector = Detector[Any]


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


def analyse_items(
    chosen: Sequence[AnyDetector], items: Sequence[EvidenceInput]
) -> Iterator[tuple[EvidenceInput, AnyDetector, list[Finding]]]:
    """Every applicable (item, detector) pair with its findings.

    Detectors that read no pixels run first, batched over all items; then each item's
    media are decoded once (``ItemMedia``) and shared by the detectors that read it,
    with one face search shared by all items.
    """
    with ExitStack() as stack:
        for detector in chosen:
            stack.enter_context(detector)
        for detector in (d for d in chosen if not d.uses_media):
            for evidence, findings in detector.run_batch(items):
                yield evidence, detector, findings
        faces = stack.enter_context(StillFaces())
        readers = [d for d in chosen if d.uses_media]
        for evidence in items:
            users = [d for d in readers if d.accepts(evidence)]
            needs = [n for d in users if (n := d.video_needs()) is not None]
            media = ItemMedia(evidence, needs, faces)
            for detector in users:
                yield evidence, detector, detector.run(evidence, media)


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
    """Run the chosen detectors (default: all) over the chosen evidence (default: all),
    then every registered combiner over each item's findings of this run."""
    examiner = check_examiner(examiner)
    store = CaseStore(home, case_number)
    items = select_evidence(repository.list_evidence(case_number), evidence_prefixes)
    inputs = [
        EvidenceInput(
            path=store.evidence_path(item.sha256),
            sha256=item.sha256,
            media_type=item.media_type,
            original_name=item.original_name,
        )
        for item in items
    ]
    labels = {item.sha256: item.label for item in items}
    chosen = select_detectors(detector_names)
    skipped = [(labels[e.sha256], d.name) for d in chosen for e in inputs if not d.accepts(e)]
    recorded: list[RecordedFinding] = []
    for evidence, detector, findings in analyse_items(chosen, inputs):
        if on_step is not None:
            on_step(f"{detector.name} {labels[evidence.sha256]}")
        results = repository.record_findings(
            case_number, evidence.sha256, findings, examiner=examiner,
            before_commit=functools.partial(_store_artifacts, store, findings),
        )
        recorded.extend(
            RecordedFinding(labels[evidence.sha256], finding, new)
            for finding, (_, new) in zip(findings, results, strict=True)
        )
    recorded.extend(_combine(repository, case_number, recorded, examiner))
    return AnalysisRun(tuple(recorded), tuple(skipped))


def _combine(
    repository: Repository, case_number: str, recorded: Sequence[RecordedFinding], examiner: str
) -> list[RecordedFinding]:
    """Each registered combiner's finding per item, from this run's findings."""
    by_item: dict[str, list[RecordedFinding]] = {}
    for r in recorded:
        by_item.setdefault(r.finding.evidence_sha256, []).append(r)
    combined = []
    for cls in combiners().values():
        combiner = cls()
        for sha, results in by_item.items():
            finding = combiner.combine(sha, [r.finding for r in results])
            if finding is None:
                continue
            ((_, new),) = repository.record_findings(case_number, sha, [finding], examiner=examiner)
            combined.append(RecordedFinding(results[0].evidence_label, finding, new))
    return combined


def _store_artifacts(store: CaseStore, findings: Sequence[Finding]) -> None:
    for finding in findings:
        for artifact in finding.artifacts:
            assert artifact.data is not None, "a detector's artifact carries its data"
            store.put_artifact(artifact.sha256, artifact.data)
