"""Verify a report PDF: its signature, its embedded case data, and against a database.

Checks, in this order (the first that fails is named; later ones still run):

1. signature: present, digest intact, cryptographically valid, covering the entire
   file (pyHanko); the certificate's subject and fingerprint are stated, and whether it
   is self-signed (trust is a separate fact: a registered fingerprint);
2. embedded data: present, readable, its SHA-256 the one the report's metadata states,
   each finding in it re-hashing to its digest; the custody events in it recomputed as a
   chain ending at the report's chain head, with every evidence item and finding of the
   report anchored in it and equal to what its event recorded (``forensics.reports.standalone``):
   all from the PDF alone;
3. with a case database: the certificate is registered for the report's examiner; the
   evidence hashes and findings equal the database's (each stored finding still
   re-hashes to the digest in the report); the custody chain holds and the report's
   chain head is a prefix of it; a report_signed event records this file's SHA-256.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.x509 import load_der_x509_certificate
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel, TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext

from forensics.audit.chain import verify_events
from forensics.canonical import sha256_hex
from forensics.errors import IntegrityError
from forensics.keys import CertificateInfo
from forensics.reports.embedded import (
    EMBEDDED_NAME,
    finding_body_digest,
    read_attachment,
    read_embedded,
)
from forensics.reports.generate import REPORT_SIGNED
from forensics.reports.render import DIGEST_KEYWORD
from forensics.reports.standalone import check_embedded_custody
from forensics.storage.repository import Repository
from forensics.verify import Problem, ProblemsFound


@dataclass(frozen=True)
class SignatureInfo:
    """One signature of the report as pyHanko validated it."""

    field_name: str
    subfilter: str  #: e.g. "/ETSI.CAdES.detached"
    md_algorithm: str  #: e.g. "sha256"
    intact: bool  #: the signed bytes hash to the signed digest
    valid: bool  #: the signature verifies with the certificate's public key
    coverage: str  #: pyHanko's SignatureCoverageLevel name, e.g. "ENTIRE_FILE"
    signing_time: str  #: as the signer's clock claimed it, ISO 8601
    certificate: CertificateInfo
    registered_to: str | None  #: examiner the fingerprint is registered to, if checked
    timestamp: str = ""  #: the RFC 3161 time-stamp's time (PAdES B-T), ISO 8601; "" = none
    timestamp_authority: str = ""  #: the time-stamping authority's certificate subject
    timestamp_authority_sha256: str = ""  #: SHA-256 fingerprint of that certificate
    timestamp_valid: bool | None = None  #: the token is intact and verifies; None = no token

    @property
    def level(self) -> str:
        return "PAdES B-T" if self.timestamp else "PAdES B-B"

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.field_name, "subfilter": self.subfilter, "md_algorithm": self.md_algorithm,
            "intact": self.intact, "valid": self.valid, "coverage": self.coverage,
            "signing_time": self.signing_time, "certificate": self.certificate.as_json(),
            "registered_to": self.registered_to, "level": self.level,
            "timestamp": None if not self.timestamp else {
                "time": self.timestamp, "authority": self.timestamp_authority,
                "authority_sha256": self.timestamp_authority_sha256, "valid": self.timestamp_valid},
        }


@dataclass(frozen=True)
class ReportVerification(ProblemsFound):
    """Outcome of `forensics verify --report FILE`."""

    path: str
    file_sha256: str
    signatures: tuple[SignatureInfo, ...]
    report_id: str | None  #: from the embedded data, None when unreadable
    case_number: str | None
    chain_head: tuple[int, str] | None
    evidence_checked: int
    findings_checked: int
    events_checked: int  #: custody events recomputed from the embedded data
    database_checked: bool  #: compared with a case database
    problems: tuple[Problem, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.path, "ok": self.ok, "file_sha256": self.file_sha256,
            "report_id": self.report_id, "case": self.case_number,
            "chain_head": None if self.chain_head is None
            else {"seq": self.chain_head[0], "hash": self.chain_head[1]},
            "signatures": [s.as_json() for s in self.signatures],
            "evidence_checked": self.evidence_checked, "findings_checked": self.findings_checked,
            "events_checked": self.events_checked,
            "database_checked": self.database_checked,
            "first_failure": self.first_failure.as_json() if self.first_failure else None,
            "problems": [p.as_json() for p in self.problems],
        }


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    # pyHanko logs a traceback when it finds no trust path for a self-signed
    # certificate; trust is stated separately here, so that noise is held back.
    logger = logging.getLogger("pyhanko")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def verify_report(path: Path, repository: Repository | None = None,
                  case_number: str | None = None) -> ReportVerification:
    """Verify ``path``; compare with the case database when ``repository`` is given
    (``case_number`` defaults to the case named in the embedded data)."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IntegrityError(f"{path}: cannot read the report ({exc.strerror})", subject=source) from None
    file_sha = sha256_hex(raw)
    problems: list[Problem] = []
    try:
        reader = PdfFileReader(io.BytesIO(raw), strict=False)
        signatures = _check_signatures(reader, source, problems)
    except (PdfError, SignatureValidationError, ValueError) as exc:
        problems.append(Problem("file", source, f"cannot be read as a signed PDF ({exc})"))
        return ReportVerification(source, file_sha, (), None, None, None, 0, 0, 0, False,
                                  tuple(problems))
    try:
        embedded, data = read_embedded(reader, source)
    except IntegrityError as exc:
        problems.append(Problem("embedded", source, str(exc)))
        return ReportVerification(source, file_sha, signatures, None, None, None, 0, 0, 0, False,
                                  tuple(problems))
    head = (int(data["chain_head"]["seq"]), str(data["chain_head"]["hash"]))
    for finding in data["findings"]:
        if finding_body_digest(finding) != finding.get("digest"):
            problems.append(Problem("embedded", str(finding.get("digest")),
                                    f"finding of {finding.get('detector')} on {finding.get('evidence')} "
                                    "in the embedded data does not re-hash to its digest "
                                    "(the embedded data was altered)"))
    problems.extend(_check_data_digest(reader, sha256_hex(embedded), source))
    problems.extend(_check_case_uco(reader, data, source))
    events, custody = check_embedded_custody(data)
    problems.extend(custody)
    checked = False
    if repository is not None:
        case_number = case_number or data["case"]["number"]
        signatures = _check_database(repository, case_number, data, file_sha, signatures, problems)
        checked = True
    return ReportVerification(
        path=source, file_sha256=file_sha, signatures=signatures,
        report_id=data.get("report_id"), case_number=data["case"]["number"], chain_head=head,
        evidence_checked=len(data["evidence"]), findings_checked=len(data["findings"]),
        events_checked=events, database_checked=checked, problems=tuple(problems),
    )


def _check_data_digest(reader: PdfFileReader, actual: str, source: str) -> list[Problem]:
    """The embedded data's SHA-256 against the one rendered into the document's metadata
    (and printed on its cover and certification page)."""
    try:
        keywords = str(reader.trailer["/Info"]["/Keywords"])
    except (KeyError, TypeError):
        keywords = ""
    stated = next((w.split("=", 1)[1] for w in keywords.split() if w.startswith(DIGEST_KEYWORD)), None)
    if stated is None:
        return [Problem("embedded", source, f"the report's metadata states no {DIGEST_KEYWORD} "
                                            "for its embedded case data")]
    if stated != actual:
        return [Problem("embedded", EMBEDDED_NAME, f"{source}: the embedded case data has SHA-256 "
                        f"{actual}, but the report states {stated} (the data was replaced)")]
    return []


def _check_case_uco(reader: PdfFileReader, data: dict[str, Any], source: str) -> list[Problem]:
    """The embedded CASE/UCO export against the SHA-256 the case data records for it."""
    recorded = data.get("case_uco")
    if not isinstance(recorded, dict):
        return []  # a report made before the export was embedded
    name = str(recorded.get("file"))
    try:
        actual = sha256_hex(read_attachment(reader, name, source))
    except IntegrityError as exc:
        return [Problem("embedded", name, str(exc))]
    if actual != recorded.get("sha256"):
        return [Problem("embedded", name, f"{source}: the embedded CASE export {name} has SHA-256 "
                        f"{actual}, but the case data records {recorded.get('sha256')} (it was replaced)")]
    return []


def _check_signatures(reader: PdfFileReader, source: str,
                      problems: list[Problem]) -> tuple[SignatureInfo, ...]:
    embedded = reader.embedded_signatures
    if not embedded:
        problems.append(Problem("signature", source,
                                "the report has no digital signature (an UNSIGNED DRAFT)"))
        return ()
    infos = []
    context = ValidationContext(trust_roots=[])  # trust is judged by fingerprint, below
    for index, sig in enumerate(embedded):
        with _quiet_pyhanko():
            status = validate_pdf_signature(sig, context)
        name = sig.field_name or f"#{index + 1}"
        cert = CertificateInfo.from_certificate(load_der_x509_certificate(status.signing_cert.dump()))
        info = SignatureInfo(
            field_name=name,
            subfilter=str(sig.sig_object.get("/SubFilter", "")),
            md_algorithm=str(status.md_algorithm),
            intact=bool(status.intact),
            valid=bool(status.valid),
            coverage=status.coverage.name if status.coverage is not None else "UNCLEAR",
            signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt else "",
            certificate=cert,
            registered_to=None,
            **_timestamp_fields(status.timestamp_validity),
        )
        infos.append(info)
        subject = name  # printed after the kind: "signature ExaminerSignature"
        if not info.intact:
            problems.append(Problem("signature", subject,
                                    f"{source}: digest mismatch - the signed bytes were changed "
                                    "after signing"))
        elif not info.valid:
            problems.append(Problem("signature", subject,
                                    f"{source}: the signature does not verify with the public key "
                                    f"of its certificate {cert.subject}"))
        elif info.timestamp_valid is False:
            problems.append(Problem("signature", subject,
                                    f"{source}: the signature's RFC 3161 time-stamp token does not "
                                    f"verify (authority {info.timestamp_authority})"))
        elif index == len(embedded) - 1 and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            problems.append(Problem("signature", subject,
                                    f"{source}: the signature does not cover the entire file "
                                    f"(coverage {info.coverage}): content was added after signing"))
    return tuple(infos)


def _timestamp_fields(status: TimestampSignatureStatus | None) -> dict[str, Any]:
    """SignatureInfo's time-stamp fields from pyHanko's status of the token (trust in the
    authority, like the signer's, is a separate question: its fingerprint is stated)."""
    if status is None:
        return {}
    tsa = status.signing_cert
    return {"timestamp": status.timestamp.isoformat(), "timestamp_authority": tsa.subject.human_friendly,
            "timestamp_authority_sha256": tsa.sha256.hex(),
            "timestamp_valid": bool(status.intact and status.valid)}


def _check_database(repository: Repository, case_number: str, data: dict[str, Any],
                    file_sha: str, signatures: tuple[SignatureInfo, ...],
                    problems: list[Problem]) -> tuple[SignatureInfo, ...]:
    """Compare the embedded data with the case database; return signatures with owners."""
    checked = []
    for sig in signatures:
        found = repository.find_certificate(sig.certificate.fingerprint_sha256)
        checked.append(replace(sig, registered_to=found.examiner if found else None))
        if found is None:
            problems.append(Problem("certificate", sig.certificate.fingerprint_sha256,
                                    f"the signing certificate {sig.certificate.subject} is not "
                                    "registered in this case database"))
        elif found.examiner != data.get("examiner"):
            problems.append(Problem("certificate", sig.certificate.fingerprint_sha256,
                                    f"the signing certificate is registered to {found.examiner!r}, "
                                    f"but the report names examiner {data.get('examiner')!r}"))
    if data["case"]["number"] != case_number:
        problems.append(Problem("case", case_number,
                                f"the report is about case {data['case']['number']!r}, "
                                f"not {case_number!r}"))
        return tuple(checked)
    items = {e.label: e for e in repository.list_evidence(case_number)}
    for reported in data["evidence"]:
        label = reported["id"]
        item = items.get(label)
        if item is None:
            problems.append(Problem("evidence", label, "evidence item of the report is not in "
                                                       "the database"))
            continue
        for key, actual in (("sha256", item.sha256), ("md5", item.md5), ("size", item.size)):
            if reported[key] != actual:
                problems.append(Problem("evidence", f"{label} {item.sha256}",
                                        f"{key} in the report ({reported[key]}) differs from the "
                                        f"database ({actual})"))
    stored = {(f.evidence_label, f.digest): f for f in repository.list_findings(case_number)}
    for reported in data["findings"]:
        digest, label = reported["digest"], reported["evidence"]
        row = stored.get((label, digest))
        what = f"finding of {reported['detector']} on {label}"
        if row is None:
            problems.append(Problem("finding", digest, f"{what} in the report is not in the database"))
        elif sha256_hex(row.body.encode("utf-8")) != digest:
            problems.append(Problem("finding", digest, f"{what}: the database row no longer "
                                    "matches the digest in the report (altered after the report)"))
    _check_chain(repository, case_number, data, file_sha, bool(signatures), problems)
    return tuple(checked)


def _check_chain(repository: Repository, case_number: str, data: dict[str, Any], file_sha: str,
                 signed: bool, problems: list[Problem]) -> None:
    seq, head = int(data["chain_head"]["seq"]), data["chain_head"]["hash"]
    at_head: list[str] = []
    recorded: list[dict[str, Any]] = []

    def watch(events):  # type: ignore[no-untyped-def]
        for event in events:
            if event.seq == seq:
                at_head.append(event.hash)
            if event.action == REPORT_SIGNED and event.subject_digest == file_sha:
                recorded.append(json.loads(event.payload))
            yield event

    chain = verify_events(case_number, watch(repository.iter_events(case_number)))
    if not chain.ok:
        problems.append(Problem("chain", f"seq {chain.broken_seq}", chain.problem))
    elif not at_head:
        problems.append(Problem("chain", f"seq {seq}", f"the database chain ends at seq "
                                f"{chain.events}, before the report's chain head seq {seq}"))
    elif at_head[0] != head:
        problems.append(Problem("chain", f"seq {seq}", f"the report's chain head is not a prefix "
                                f"of the current chain: seq {seq} has hash {at_head[0]}, the "
                                f"report says {head}"))
    if signed and not recorded:
        problems.append(Problem("custody", file_sha, "no 'report_signed' custody event records "
                                "this file's SHA-256"))
    elif recorded and recorded[0].get("report_id") != data.get("report_id"):
        problems.append(Problem("custody", file_sha, "the 'report_signed' event names report "
                                f"{recorded[0].get('report_id')}, not {data.get('report_id')}"))
