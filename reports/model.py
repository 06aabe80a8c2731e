"""What a report says, as frozen data read from the case database at report time.

``build_report_content`` is the only place that reads the repository for a report;
rendering (``forensics.reports.render``) and the embedded case data (``forensics.reports.embedded``) are
pure functions of the ``ReportContent`` it returns. No method is known here by name:
findings are data, and each registered method supplies its own description, its
limitations, the notes its findings call for and the drawing of its artifacts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forensics import __version__
from forensics.canonical import sha256_hex
from forensics.detectors.base import Combiner, Method
from forensics.evidence.store import CaseStore
from forensics.keys import CertificateInfo
from forensics.model import Artifact, Case, CustodyEvent, EvidenceItem, Finding
from forensics.model.records import format_time
from forensics.model.validation import ValidationRecord, shipped_record
from forensics.reports.examiner import ExaminerProfile, profile_for
from forensics.reports.interpretation import Interpretation, read_interpretation
from forensics.reports.propositions import Evaluation, ItemPropositions, propositions
from forensics.reports.thumbnails import Thumbnail, make_thumbnail
from forensics.reports.wording import likelihood_ratio, log10_lr_text
from forensics.storage.repository import Repository, StoredFinding, check_examiner
from forensics.verify import Problem, verify_case

TOOL_NAME = "deepfake-forensics"
DEFAULT_QUESTION = (
    "Do the examined files bear traces of synthetic generation or manipulation, and how "
    "strongly do the findings support that proposition against the alternative that they "
    "are unaltered recordings?"
)


@dataclass(frozen=True)
class EvidenceEntry:
    """One evidence item and its re-verification at report time."""

    item: EvidenceItem
    reverified: bool  #: the stored file was re-hashed now and matched its SHA-256
    problem: str  #: why not, empty when reverified
    thumbnail: Thumbnail = field(default=Thumbnail(None, "no thumbnail made"), repr=False)


@dataclass(frozen=True)
class ArtifactEntry:
    """An artifact referenced by a finding, read back from the case's store."""

    name: str  #: e.g. "radial_spectrum", "heatmap"
    media_type: str  #: e.g. "application/json", "image/png"
    sha256: str  #: recorded SHA-256
    data: bytes | None = field(repr=False)  #: content; None when missing or altered
    problem: str  #: why ``data`` is None, empty otherwise


@dataclass(frozen=True)
class FindingEntry:
    """A stored finding as the report shows it: the finding itself, where it sits in
    the case, and its artifacts read back from the store."""

    finding: Finding  #: as the method made it (artifacts as references)
    digest: str  #: SHA-256 of the finding's canonical JSON, as stored
    evidence_label: str  #: "E1", ...
    artifacts: tuple[ArtifactEntry, ...]  #: the finding's artifacts, read back
    record: Mapping[str, Any]  #: the finding's JSON with its digest, as embedded

    # the finding's own fields, as the sections read them
    @property
    def evidence_sha256(self) -> str:
        return self.finding.evidence_sha256

    @property
    def detector(self) -> str:
        return self.finding.detector

    @property
    def detector_version(self) -> str:
        return self.finding.detector_version

    @property
    def config_digest(self) -> str:
        return self.finding.config_digest

    @property
    def weights_digest(self) -> str | None:
        return self.finding.weights_digest

    @property
    def score(self) -> float | None:
        return self.finding.score

    @property
    def log10_lr(self) -> float | None:
        return self.finding.log10_lr

    @property
    def verbal(self) -> str | None:
        return self.finding.verbal

    @property
    def verdict(self) -> str:
        """The ``Verdict`` value ("supports_manipulation", ...)."""
        return self.finding.verdict.value

    @property
    def reason(self) -> str:
        return self.finding.reason

    @property
    def details(self) -> Mapping[str, Any]:
        return self.finding.details

    @property
    def conclusion(self) -> str:
        """The finding in words a court reads: the verbal LR scale, or why there is none."""
        if self.log10_lr is not None:
            verbal = self.verbal or "no verbal expression recorded"
            return (f"{verbal} (LR about {likelihood_ratio(self.log10_lr)}, "
                    f"log10 LR = {log10_lr_text(self.log10_lr)})")
        if self.verdict == "error":
            return f"could not be analysed: {self.reason}"
        if self.verdict in ("inconclusive", "not_validated"):
            return f"{self.verdict.replace('_', ' ')}: {self.reason}"
        # a directional verdict without a calibrated LR (e.g. a generator's own tag)
        direction = self.verdict.replace("_", " ")
        return f"{direction}, not validated (no likelihood ratio): {self.reason}"


@dataclass(frozen=True)
class MethodEntry:
    """One detector version as used in this case, with its validation record."""

    name: str
    version: str
    config_digest: str
    weights_digest: str | None
    description: str  #: from the registered method
    limitations: str  #: what the method cannot see, from the registered method
    assumptions: str  #: what its result takes for granted (e.g. a fusion's about dependence)
    validation: tuple[tuple[str, str], ...]  #: (label, value) rows; empty = not validated
    validation_digest: str | None  #: SHA-256 of the validation record, None = not validated
    validation_plots: Mapping[str, Any]  #: ROC points and Tippett data of the record
    findings: int  #: how many findings in this report came from it


@dataclass(frozen=True)
class ItemSummary:
    """The conclusions about one evidence item."""

    label: str
    original_name: str
    conclusions: tuple[tuple[str, str], ...]  #: (detector name+version, conclusion)
    combined: str  #: the combined statement, or why there is none
    propositions: ItemPropositions  #: H1, H2, background and what the findings support
    interpretation: tuple[str, ...] = ()  #: the examiner's opinion on this item


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, fixed at one moment."""

    report_id: str
    generated_at: str  #: ISO 8601 UTC, as hashed elsewhere
    tool_version: str
    case: Case
    examiner: str
    examiner_profile: ExaminerProfile  #: the examiner and laboratory block
    reviewer: ExaminerProfile | None  #: the technical reviewer, if any
    dates: tuple[tuple[str, str], ...]  #: (what, when): request, receipt, examination, report
    interpretation: Interpretation  #: the examiner's opinion (may be empty)
    requested_by: str
    scope: str
    questions: tuple[str, ...]
    evidence: tuple[EvidenceEntry, ...]
    findings: tuple[FindingEntry, ...]
    methods: tuple[MethodEntry, ...]
    summaries: tuple[ItemSummary, ...]
    events: tuple[CustodyEvent, ...]
    chain_head: tuple[int, str]  #: (seq, hash) of the last event covered by the report
    verification_problems: tuple[Problem, ...]  #: `forensics verify CASE` at report time
    limitations: tuple[str, ...]
    signer: CertificateInfo | None  #: who will sign; None for an unsigned draft
    tsa_url: str | None = None  #: the RFC 3161 service that time-stamps the signature

    @property
    def signed(self) -> bool:
        return self.signer is not None

    def findings_for(self, label: str) -> list[FindingEntry]:
        return [f for f in self.findings if f.evidence_label == label]


# -- validation records -----------------------------------------------------------------

ValidationSource = Callable[[str, str, str, "str | None"], "ValidationRecord | None"]
"""(detector, version, config digest, weights digest) -> the record that validated exactly
that build, or None. A case database's records can be offered the same way."""


def shipped_validation(name: str, version: str, config_digest: str,
                       weights_digest: str | None) -> ValidationRecord | None:
    """The record shipped with the suite, when it applies to the build that made the findings."""
    record = shipped_record(name)
    if record is None or not record.applies_to(name, version, config_digest, weights_digest):
        return None
    return record


def registered_method(name: str) -> type[Method[Any]] | None:
    """The method registered under ``name`` in this installation, or None."""
    from forensics.detectors.registry import available  # loads the method modules

    return available().get(name)


def _interval(value: Any) -> str:
    # two decimals: validation sets of tens to hundreds of items support no more
    if isinstance(value, Mapping) and "estimate" in value:
        return f"{value['estimate']:.2f} (95% CI {value.get('low', 0):.2f}-{value.get('high', 0):.2f})"
    if isinstance(value, Mapping) and "rate" in value:
        return (f"{value['rate']:.2f} ({value.get('errors')}/{value.get('n')}; 95% CI "
                f"{value.get('low', 0):.2f}-{value.get('high', 1):.2f})")
    if isinstance(value, Mapping) and all(isinstance(v, int) for v in value.values()):
        return ", ".join(f"{k} {v:,}" for k, v in value.items())
    return f"{value:.2f}" if isinstance(value, float) else json.dumps(value, sort_keys=True)


def validation_rows(record: ValidationRecord) -> tuple[tuple[str, str], ...]:
    """The record as (label, value) rows, in the order an opposing expert asks for them."""
    data, metrics = record.data, record.metrics
    rows = [
        ("Data set", f"{data.get('name', '?')} (manifest SHA-256 {data.get('manifest_digest', '?')})"),
        ("Items", _interval(data.get("items"))),
        ("Split", str(data.get("split_rule", ""))),
    ]
    labels = (
        ("n_real", "Authentic items (metrics)"), ("n_fake", "Manipulated items (metrics)"),
        ("auc", "AUC"), ("eer", "Equal error rate"), ("cllr", "Cllr"), ("min_cllr", "min Cllr"),
        ("false_positive_rate", "False positive rate (LR >= 2 on authentic)"),
        ("false_negative_rate", "False negative rate (LR <= 1/2 on manipulated)"),
        ("inconclusive_real", "Inconclusive on authentic"),
        ("inconclusive_fake", "Inconclusive on manipulated"),
        ("ece", "Expected calibration error"),
    )
    rows += [(label, _interval(metrics[key])) for key, label in labels if key in metrics]
    rows += [("Record", f"SHA-256 {record.digest}, made {record.created}")]
    return tuple(rows)


# -- building ---------------------------------------------------------------------------


def new_report_id(case_number: str, moment: datetime) -> str:
    return f"R-{case_number}-{moment.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def build_report_content(
    repository: Repository,
    home: Path,
    case_number: str,
    *,
    examiner: str,
    scope: str = "",
    questions: Sequence[str] = (),
    requested_by: str | None = None,
    signer: CertificateInfo | None = None,
    tsa_url: str | None = None,
    reviewer: str | None = None,
    interpretation_file: Path | None = None,
    validation_source: ValidationSource = shipped_validation,
    now: datetime | None = None,
) -> ReportContent:
    """Read a case and re-verify it now; the result is what the report shows."""
    examiner = check_examiner(examiner)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    case = repository.get_case(case_number)
    verification = verify_case(repository, home, case_number)
    evidence_problems = {
        p.subject.split(" ", 1)[0]: p.message for p in verification.problems if p.kind == "evidence"
    }
    store = CaseStore(home, case_number)
    evidence = tuple(
        EvidenceEntry(item, item.label not in evidence_problems, evidence_problems.get(item.label, ""),
                      make_thumbnail(store.evidence_path(item.sha256), item.kind)
                      if item.label not in evidence_problems else
                      Thumbnail(None, "no thumbnail: the stored file does not match its SHA-256"))
        for item in repository.list_evidence(case_number)
    )
    findings = tuple(
        entry for entry in (_finding_entry(store, f) for f in repository.list_findings(case_number))
        if entry is not None  # an unreadable finding is named by the re-verification above
    )
    # Events last: the chain head then covers every record read above.
    events = tuple(repository.iter_events(case_number))
    head = (events[-1].seq, events[-1].hash) if events else (0, "0" * 64)
    methods = _methods(findings, validation_source)
    labels = [e.item.label for e in evidence]
    interpretation = (Interpretation() if interpretation_file is None
                      else read_interpretation(interpretation_file, labels))
    summaries = tuple(_summary(e.item, findings, interpretation) for e in evidence)
    content = ReportContent(
        report_id=new_report_id(case_number, moment),
        generated_at=format_time(moment),
        tool_version=__version__,
        case=case,
        examiner=examiner,
        examiner_profile=profile_for(home, examiner, signer),
        reviewer=None if reviewer is None else profile_for(home, check_examiner(reviewer)),
        dates=_dates(case, events, moment),
        interpretation=interpretation,
        requested_by=requested_by if requested_by is not None else case.requested_by,
        scope=scope or (
            f"Examination of every evidence item recorded in case {case.number} with the "
            "methods listed in section 3, as recorded in the case database at report time."
        ),
        questions=tuple(questions) or (DEFAULT_QUESTION,),
        evidence=evidence,
        findings=findings,
        methods=methods,
        summaries=summaries,
        events=events,
        chain_head=head,
        verification_problems=verification.problems,
        limitations=(),
        signer=signer,
        tsa_url=tsa_url,
    )
    return _with_limitations(content)


def _finding_entry(store: CaseStore, stored: StoredFinding) -> FindingEntry | None:
    try:
        finding = stored.finding
    except (ValueError, KeyError, TypeError):  # altered out of shape: verify names it
        return None
    return FindingEntry(
        finding=finding,
        digest=stored.digest,
        evidence_label=stored.evidence_label,
        artifacts=tuple(_artifact_entry(store, a) for a in finding.artifacts),
        record=dict(stored.as_json(), evidence=stored.evidence_label),
    )


def _artifact_entry(store: CaseStore, artifact: Artifact) -> ArtifactEntry:
    name, media_type, sha = artifact.name, artifact.media_type, artifact.sha256
    path = store.artifact_path(sha)
    if not path.is_file():
        return ArtifactEntry(name, media_type, sha, None, f"artifact file {path} is missing")
    data = path.read_bytes()
    if sha256_hex(data) != sha:
        return ArtifactEntry(name, media_type, sha, None,
                             f"artifact file {path} no longer matches its SHA-256")
    return ArtifactEntry(name, media_type, sha, data, "")


def _methods(
    findings: Sequence[FindingEntry], source: ValidationSource
) -> tuple[MethodEntry, ...]:
    used: dict[tuple[str, str, str, str | None], int] = {}
    for f in findings:
        key = (f.detector, f.detector_version, f.config_digest, f.weights_digest)
        used[key] = used.get(key, 0) + 1
    methods = []
    for (name, version, config, weights), count in sorted(used.items(), key=lambda kv: kv[0][:2]):
        record = source(name, version, config, weights)
        method = registered_method(name)
        methods.append(MethodEntry(
            name=name, version=version, config_digest=config, weights_digest=weights,
            description=(f"(no description: the method '{name}' is not installed where this "
                         "report was made; its findings are shown from their data)"
                         if method is None else method.description),
            limitations="" if method is None else method.limitations,
            assumptions="" if method is None else method.assumptions,
            validation=() if record is None else validation_rows(record),
            validation_digest=None if record is None else record.digest,
            validation_plots={} if record is None else record.plots,
            findings=count,
        ))
    return tuple(methods)


def _combined(finding: FindingEntry) -> bool:
    """True for a combiner's finding (the fusion): the combined statement over methods."""
    method = registered_method(finding.detector)
    return method is not None and issubclass(method, Combiner)


def _dates(case: Case, events: Sequence[CustodyEvent], moment: datetime) -> tuple[tuple[str, str], ...]:
    """When the examination was requested (the case opened), the evidence received
    (acquired), examined (findings recorded) and reported, from the custody log."""
    def day(stamp: str) -> str:
        return stamp[:16].replace("T", " ")

    def span(times: list[str]) -> str:
        first, last = day(times[0]), day(times[-1])
        return first if first == last else f"{first} to {last}"

    received = [e.time for e in events if e.action == "acquired"]
    examined = [e.time for e in events if e.action in ("finding_recorded", "finding_rerun")]
    rows = [("Request (case opened)", day(format_time(case.created_at)))]
    if received:
        rows.append(("Evidence received (acquired)", span(received)))
    if examined:
        rows.append(("Examination (findings recorded)", span(examined)))
    rows.append(("Report", day(format_time(moment))))
    return tuple(rows)


def _history(own: Sequence[FindingEntry]) -> list[str]:
    """What each method says its findings on an item show of the file's history."""
    facts = []
    for name in dict.fromkeys(f.detector for f in own):
        method = registered_method(name)
        if method is not None:
            mine = [f for f in own if f.detector == name]
            facts += [f"{name} {mine[0].detector_version}: {fact}"
                      for fact in method.background([f.finding for f in mine])]
    return facts


def _summary(item: EvidenceItem, findings: Sequence[FindingEntry],
             interpretation: Interpretation) -> ItemSummary:
    own = [f for f in findings if f.evidence_sha256 == item.sha256]
    combined = next((f for f in own if _combined(f)), None)
    if combined is not None:
        statement = combined.conclusion
    elif own:
        statement = ("no combined statement: no validated fusion of the methods was applied, "
                     "so each method's result stands on its own")
    else:
        statement = "not analysed: no finding is recorded for this item"
    return ItemSummary(
        label=item.label,
        original_name=item.original_name,
        conclusions=tuple(
            (f"{f.detector} {f.detector_version}", f.conclusion) for f in own if not _combined(f)
        ),
        combined=statement,
        propositions=propositions(item, [
            Evaluation(f"{f.detector} {f.detector_version}", f.log10_lr, f.verdict, f.reason,
                       _combined(f)) for f in own if f.verdict != "error"], _history(own)),
        interpretation=interpretation.for_item(item.label),
    )


def method_notes(methods: Sequence[MethodEntry], findings: Sequence[FindingEntry]) -> list[str]:
    """Each method's limitations, then the notes its findings in this case call for."""
    notes = [m.limitations for m in methods if m.limitations]
    labels = {f.evidence_sha256: f.evidence_label for f in findings}
    for name in dict.fromkeys(m.name for m in methods):
        method = registered_method(name)
        if method is not None:
            own = [f.finding for f in findings if f.detector == name]
            notes.extend(method.case_notes(own, labels))
    return notes


def disagreements(findings: Sequence[FindingEntry]) -> list[str]:
    """Items on which methods point in opposite directions (one supports manipulation,
    another authenticity): a court must hear that they disagree."""
    notes = []
    for label in dict.fromkeys(f.evidence_label for f in findings):
        own = [f for f in findings if f.evidence_label == label and not _combined(f)]
        sides = {side: [f for f in own if f.verdict == side]
                 for side in ("supports_manipulation", "supports_authenticity")}
        if all(sides.values()):
            def named(group: list[FindingEntry]) -> str:
                return ", ".join(f"{f.detector} ({f.conclusion.split(':')[0].split(' (')[0]})"
                                 for f in group)
            notes.append(f"The methods disagree on {label}: {named(sides['supports_manipulation'])} "
                         f"point to manipulation, {named(sides['supports_authenticity'])} to "
                         "authenticity. Each method sees different traces (section 3); the "
                         "conclusions for this item must be read with that in mind.")
    return notes


def _with_limitations(content: ReportContent) -> ReportContent:
    notes = [
        ("The methods detect traces of known generation and manipulation techniques. Finding "
         "no such trace does not prove that a file is authentic: new generators, "
         "re-compression, resizing or re-recording can remove or hide the traces."),
        *method_notes(content.methods, content.findings),
    ]
    unvalidated = [f"{m.name} {m.version}" for m in content.methods if not m.validation]
    if unvalidated:
        notes.append(
            "Not validated: " + ", ".join(unvalidated) + ". No error rates are known for these "
            "methods on labelled data, so their results carry no likelihood ratio and are "
            "investigative indications only."
        )
    if not any(_combined(f) for f in content.findings):
        notes.append("No combined statement over the methods is given: no validated fusion "
                     "method was applied.")
    notes.extend(disagreements(content.findings))
    errors = sorted({f"{f.evidence_label} ({f.detector})" for f in content.findings
                     if f.verdict == "error"})
    if errors:
        notes.append("Could not be analysed (error findings): " + ", ".join(errors) + ".")
    analysed = {f.evidence_label for f in content.findings}
    unanalysed = [e.item.label for e in content.evidence if e.item.label not in analysed]
    if unanalysed:
        notes.append("No finding is recorded for: " + ", ".join(unanalysed) + ".")
    if content.verification_problems:
        first = content.verification_problems[0]
        notes.append(
            f"Re-verification at report time found {len(content.verification_problems)} "
            f"problem(s); the first: {first.kind} {first.subject}: {first.message}."
        )
    if content.signer is None:
        notes.append("This is an UNSIGNED DRAFT: it carries no digital signature and is not "
                     "certified.")
    else:
        if content.signer.self_signed:
            notes.append(
                "The signing certificate is self-signed: trust in it rests on comparing its "
                f"SHA-256 fingerprint ({content.signer.fingerprint_sha256}) with the one "
                "registered for the examiner, not on a certification authority."
            )
        if content.tsa_url:
            notes.append(f"The signature carries an RFC 3161 time-stamp from {content.tsa_url} "
                         "(PAdES B-T): a third party's time for the signature; trust in it rests "
                         "on that authority's certificate, whose fingerprint forensics verify "
                         "--report states.")
        else:
            notes.append("No trusted time-stamp is applied (PAdES B-B): the signing time is the "
                         "signer's own clock.")
    notes.append(
        f"The report covers the custody chain up to seq {content.chain_head[0]}; later events "
        "(including the recording of this report) are not covered by it."
    )
    return replace(content, limitations=tuple(notes))
