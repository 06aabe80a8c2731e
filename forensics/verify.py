"""Re-verify a whole case: stored evidence, findings, the custody chain, that each
recorded item and finding is anchored in the chain, and that every field of the case,
evidence and finding rows still matches the event that recorded it
(``forensics.audit.bindings``).

The first thing that does not hold is named; later checks still run so that the
examiner sees everything that is wrong, but ``first_failure`` is what the CLI reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.audit.bindings import case_mismatches, evidence_mismatches, finding_mismatches
from forensics.audit.chain import ChainCheck, verify_events
from forensics.canonical import sha256_hex
from forensics.errors import IntegrityError
from forensics.evidence.hashing import sha256_file
from forensics.evidence.store import CaseStore
from forensics.model import CustodyEvent
from forensics.storage.repository import Repository


@dataclass(frozen=True)
class Problem:
    """One thing that does not hold."""

    kind: str  #: "evidence", "finding", "chain", "anchor", "record"
    subject: str  #: evidence label and SHA-256, finding digest, "seq N", or "table row field"
    message: str  #: what is wrong, in words

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "subject": self.subject, "message": self.message}


class ProblemsFound:
    """Shared by verification results: ok when no problem, the first one is reported."""

    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_failure(self) -> Problem | None:
        return self.problems[0] if self.problems else None


@dataclass(frozen=True)
class CaseVerification(ProblemsFound):
    """Outcome of `forensics verify CASE`."""

    case_number: str
    evidence_checked: int
    findings_checked: int
    chain: ChainCheck
    problems: tuple[Problem, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case_number,
            "ok": self.ok,
            "evidence_checked": self.evidence_checked,
            "findings_checked": self.findings_checked,
            "chain": self.chain.as_json(),
            "first_failure": self.first_failure.as_json() if self.first_failure else None,
            "problems": [p.as_json() for p in self.problems],
        }


def verify_case(
    repository: Repository,
    home: Path,
    case_number: str,
    *,
    on_file: Callable[[str, int], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> CaseVerification:
    """Re-hash every stored file, recompute every finding digest and the chain, and
    compare every recorded field with its custody event. A stored value the database
    driver cannot read back (a date that is no date) raises ``IntegrityError``."""
    try:
        return _verify_case(repository, home, case_number, on_file, progress)
    except ValueError as exc:  # raised while converting a stored value: altered outside the suite
        raise IntegrityError(f"case {case_number}: a stored value cannot be read back ({exc}); the "
                             "database was altered outside the suite", subject=case_number) from exc


def _verify_case(
    repository: Repository,
    home: Path,
    case_number: str,
    on_file: Callable[[str, int], None] | None,
    progress: Callable[[int], None] | None,
) -> CaseVerification:
    store = CaseStore(home, case_number)
    problems: list[Problem] = []
    evidence = repository.list_evidence(case_number)
    for item in evidence:
        subject = f"{item.label} {item.sha256}"
        path = store.evidence_path(item.sha256)
        if on_file is not None:
            on_file(item.label, item.size)
        if not path.is_file():
            problems.append(Problem("evidence", subject, f"stored file {path} is missing"))
            continue
        with path.open("rb") as handle:
            actual = sha256_file(handle, progress)
        if actual != item.sha256:
            problems.append(
                Problem(
                    "evidence",
                    subject,
                    f"stored file {path} ({item.original_name}) no longer matches its "
                    f"SHA-256: now {actual}",
                )
            )
    findings = repository.list_findings(case_number)
    for finding in findings:
        if sha256_hex(finding.body.encode("utf-8")) != finding.digest:
            problems.append(
                Problem(
                    "finding",
                    finding.digest,
                    f"finding of {finding.detector} on {finding.evidence_label} no longer "
                    "matches its digest (the stored finding was altered)",
                )
            )
            continue  # an altered body's artifact list cannot be trusted (nor parsed)
        for artifact in json.loads(finding.body).get("artifacts", []):
            problems.extend(_check_artifact(store, finding.digest, artifact))

    anchors: dict[str, dict[str, CustodyEvent]] = {"acquired": {}, "finding_recorded": {}}
    first: list[CustodyEvent] = []

    def remember(events: list[CustodyEvent]):  # type: ignore[no-untyped-def]
        for event in events:
            if event.action in anchors:
                anchors[event.action].setdefault(event.subject_digest, event)
            if not first:
                first.append(event)
            yield event

    chain = verify_events(case_number, remember(repository.iter_events(case_number)))  # type: ignore[arg-type]
    if not chain.ok:
        problems.append(Problem("chain", f"seq {chain.broken_seq}", chain.problem))
    else:
        for item in evidence:
            if item.sha256 not in anchors["acquired"]:
                problems.append(
                    Problem("anchor", f"{item.label} {item.sha256}",
                            "evidence item has no 'acquired' event in the custody chain")
                )
        for finding in findings:
            if finding.digest not in anchors["finding_recorded"]:
                problems.append(
                    Problem("anchor", finding.digest,
                            "finding has no 'finding_recorded' event in the custody chain")
                )
        mismatches = [
            *case_mismatches(repository.get_case(case_number), first[0] if first else None),
            *evidence_mismatches(evidence, anchors["acquired"]),
            *finding_mismatches(findings, anchors["finding_recorded"]),
        ]
        problems.extend(Problem("record", m.subject, m.message) for m in mismatches)
    # a broken chain comes first: every other check is judged against the chain
    ordered = sorted(problems, key=lambda problem: problem.kind != "chain")
    return CaseVerification(case_number, len(evidence), len(findings), chain, tuple(ordered))


def _check_artifact(store: CaseStore, finding_digest: str, artifact: dict[str, Any]) -> list[Problem]:
    path = store.artifact_path(artifact["sha256"])
    if not path.is_file():
        return [Problem("finding", finding_digest, f"artifact {artifact['name']} ({path}) is missing")]
    if sha256_hex(path.read_bytes()) != artifact["sha256"]:
        return [Problem("finding", finding_digest,
                        f"artifact {artifact['name']} ({path}) no longer matches its SHA-256")]
    return []
