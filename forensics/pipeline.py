"""Run detectors over a case's stored evidence and persist their findings.

The unit of work is (detector name + config, one stored file) -> findings; persisting
and chaining happen in the storage repository only. Each evidence item's findings
from one detector are recorded in one transaction, artifacts written first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics.detectors.base import Detector
from forensics.detectors.registry import available, get_detector
from forensics.errors import CaseError
from forensics.evidence.store import CaseStore
from forensics.model import EvidenceInput, EvidenceItem, Finding, Verdict
from forensics.storage.repository import Repository, check_examiner
from forensics.validation.fusion import shipped_fusion
from forensics.validation.fusion_runner import fusion_finding


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
    chosen = []
    for prefix in wanted:
        matches = [i for i in items if i.sha256.startswith(prefix.lower())]
        if len(matches) != 1:
            problem = "no evidence item" if not matches else "several evidence items"
            raise CaseError(f"{problem} with SHA-256 starting {prefix!r}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def select_detectors(names: Sequence[str]) -> list[Detector]:
    classes = [get_detector(n) for n in names] if names else list(available().values())
    return [cls() for cls in classes]


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
    """Run the chosen detectors (default: all) over the chosen evidence (default: all)."""
    examiner = check_examiner(examiner)
    store = CaseStore(home, case_number)
    items = select_evidence(repository.list_evidence(case_number), evidence_prefixes)
    inputs = {
        item.sha256: EvidenceInput(
            path=store.evidence_path(item.sha256),
            sha256=item.sha256,
            media_type=item.media_type,
            original_name=item.original_name,
        )
        for item in items
    }
    labels = {item.sha256: item.label for item in items}
    recorded: list[RecordedFinding] = []
    skipped: list[tuple[str, str]] = []
    for detector in select_detectors(detector_names):
        applicable = [e for e in inputs.values() if detector.accepts(e)]
        skipped.extend((labels[e.sha256], detector.name) for e in inputs.values()
                       if not detector.accepts(e))
        with detector:
            for evidence, findings in detector.run_batch(applicable):
                if on_step is not None:
                    on_step(f"{detector.name} {labels[evidence.sha256]}")
                results = repository.record_findings(
                    case_number, evidence.sha256, findings, examiner=examiner,
                    before_commit=lambda fs=findings: _store_artifacts(store, fs),
                )
                recorded.extend(
                    RecordedFinding(labels[evidence.sha256], finding, new)
                    for finding, (_, new) in zip(findings, results)
                )
    recorded.extend(_combine(repository, case_number, recorded, examiner))
    return AnalysisRun(tuple(recorded), tuple(skipped))


def _combine(
    repository: Repository, case_number: str, recorded: Sequence[RecordedFinding], examiner: str
) -> list[RecordedFinding]:
    """The combined (fusion) finding per item, from this run's findings, when a
    validated fusion model ships and at least one of its detectors ran."""
    shipped = shipped_fusion()
    if shipped is None:
        return []
    model, _ = shipped
    by_item: dict[str, list[RecordedFinding]] = {}
    for r in recorded:
        by_item.setdefault(r.finding.evidence_sha256, []).append(r)
    combined = []
    for sha, results in by_item.items():
        findings = [r.finding for r in results]
        if not any(f.detector in model.detectors for f in findings):
            continue
        finding = fusion_finding(model, sha, findings)
        ((_, new),) = repository.record_findings(case_number, sha, [finding], examiner=examiner)
        combined.append(RecordedFinding(results[0].evidence_label, finding, new))
    return combined


def _store_artifacts(store: CaseStore, findings: Sequence[Finding]) -> None:
    for finding in findings:
        for artifact in finding.artifacts:
            store.put_artifact(artifact.sha256, artifact.data)
