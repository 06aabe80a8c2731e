"""Make a report: read the case, render, embed the case data, sign, store, record.

A signed report is recorded with a "report_signed" custody event; an unsigned draft
with a "report_drafted" event, so that every document handed out is in the chain.
Both payloads carry the report id, the file's SHA-256, the embedded data's SHA-256
and the chain head the report covers (the event itself comes after that head).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from forensics.canonical import sha256_hex
from forensics.errors import ForensicsError
from forensics.model import CustodyEvent
from forensics.reports.embedded import attach, case_data, case_uco_attachment, data_digest
from forensics.reports.model import ReportContent, build_report_content
from forensics.reports.render import RenderedReport, render_pdf
from forensics.reports.sign import ReportSigner, sign_pdf
from forensics.storage.repository import Repository, check_examiner

REPORT_SIGNED = "report_signed"
REPORT_DRAFTED = "report_drafted"


@dataclass(frozen=True)
class GeneratedReport:
    """What `forensics report` made."""

    report_id: str
    path: Path  #: the PDF
    sha256: str  #: SHA-256 of the PDF file
    signed: bool
    pages: int
    data_sha256: str  #: SHA-256 of the embedded case data
    chain_head: tuple[int, str]  #: (seq, hash) covered by the report
    certificate_fingerprint: str | None  #: signing certificate, None for a draft
    event: CustodyEvent  #: the "report_signed" / "report_drafted" event

    def as_json(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "path": str(self.path),
            "sha256": self.sha256,
            "signed": self.signed,
            "pages": self.pages,
            "data_sha256": self.data_sha256,
            "chain_head": {"seq": self.chain_head[0], "hash": self.chain_head[1]},
            "certificate_fingerprint": self.certificate_fingerprint,
            "event": {"seq": self.event.seq, "action": self.event.action, "hash": self.event.hash},
        }


def produce_pdf(content: ReportContent, data: dict[str, Any],
                signer: ReportSigner | None) -> tuple[bytes, int]:
    """Render ``content``, embed ``data`` and sign (when a signer is given).

    Returns the file's bytes and its page count.
    """
    rendered = render_pdf(content, data_digest(data))
    return finish_pdf(rendered, data, signer, report_id=content.report_id,
                      extra=(case_uco_attachment(content),)), rendered.pages


def finish_pdf(rendered: RenderedReport, data: dict[str, Any], signer: ReportSigner | None, *,
               report_id: str, extra: tuple[tuple[str, bytes, str, str], ...] = ()) -> bytes:
    """Embed ``data`` (and the ``extra`` files) into a rendered report and sign it, in one
    incremental update."""
    writer = IncrementalPdfFileWriter(io.BytesIO(rendered.pdf))
    attach(writer, data, extra=extra)
    if signer is None:
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    return sign_pdf(writer, signer, reason=f"Forensic examination report {report_id}",
                    box=rendered.signature_box)


def default_report_path(home: Path, case_number: str, report_id: str) -> Path:
    return home / case_number / "reports" / f"{report_id}.pdf"


def generate_report(
    repository: Repository,
    home: Path,
    case_number: str,
    *,
    examiner: str,
    out: Path | None = None,
    signer: ReportSigner | None = None,
    scope: str = "",
    questions: Sequence[str] = (),
    requested_by: str | None = None,
    reviewer: str | None = None,
    interpretation: Path | None = None,
) -> GeneratedReport:
    """Render, sign (or mark as draft), write and record a report of a case."""
    examiner = check_examiner(examiner)
    if out is not None and out.exists():
        raise ForensicsError(f"{out}: already exists; a report is never overwritten")
    if signer is not None:  # refuses a certificate registered to someone else
        cert = signer.certificate
        repository.record_certificate(examiner, fingerprint_sha256=cert.fingerprint_sha256,
                                      subject=cert.subject, certificate_pem=cert.pem)
    content = build_report_content(
        repository, home, case_number, examiner=examiner, scope=scope, questions=questions,
        requested_by=requested_by, signer=None if signer is None else signer.certificate,
        tsa_url=None if signer is None else signer.tsa_url, reviewer=reviewer,
        interpretation_file=interpretation,
    )
    data = case_data(content)
    pdf, pages = produce_pdf(content, data, signer)
    path = out or default_report_path(home, case_number, content.report_id)
    file_sha = sha256_hex(pdf)
    _write_new(path, pdf)
    data_sha256 = data_digest(data)
    fingerprint = None if signer is None else signer.certificate.fingerprint_sha256
    payload = {
        "report_id": content.report_id,
        "file_name": path.name,
        "file_sha256": file_sha,
        "data_sha256": data_sha256,
        "pages": pages,
        "chain_head": {"seq": content.chain_head[0], "hash": content.chain_head[1]},
        "certificate_fingerprint": fingerprint,
        "tsa_url": None if signer is None else signer.tsa_url,
    }
    try:
        event = repository.append_event(
            case_number, examiner=examiner, action=REPORT_SIGNED if signer else REPORT_DRAFTED,
            subject_digest=file_sha, payload=payload,
        )
    except BaseException:
        path.unlink(missing_ok=True)  # no report file that the chain does not record
        raise
    return GeneratedReport(
        report_id=content.report_id, path=path, sha256=file_sha, signed=signer is not None,
        pages=pages, data_sha256=data_sha256, chain_head=content.chain_head,
        certificate_fingerprint=fingerprint, event=event,
    )


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file, complete or not at all, never replacing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.part")
    try:
        with temp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp, path)  # fails if ``path`` appeared meanwhile
        except FileExistsError:
            raise ForensicsError(f"{path}: already exists; a report is never overwritten") from None
    finally:
        temp.unlink(missing_ok=True)
