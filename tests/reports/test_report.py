"""Signed and draft reports: content, embedded data, independent validators (pdfsig,
qpdf, pdftoppm) and tamper tests, each caught by verify_report with its reason."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

from PIL import Image
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import text

from forensics.canonical import canonical_bytes, digest, sha256_hex
from forensics.model.validation import ValidationRecord
from forensics.reports.embedded import EMBEDDED_NAME, case_data, read_embedded
from forensics.reports.generate import generate_report, produce_pdf
from forensics.reports.model import build_report_content
from forensics.reports.verify import verify_report
from forensics.validation.calibration import Calibration
from tests.conftest import EXAMINER
from tests.reports.conftest import flip_byte, needs_tool


def _pdftotext_pages(pdf: Path, pages: int) -> list[str]:
    tool = needs_tool("pdftotext")
    return [subprocess.run([tool, "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, pages + 1)]


def test_signed_report_verifies_embeds_the_case_and_is_recorded(
        report_repository, analysed_case, signed_report, signer):
    result = verify_report(signed_report.path, report_repository, analysed_case)
    assert result.ok, result.problems
    (sig,) = result.signatures
    assert sig.intact and sig.valid and sig.coverage == "ENTIRE_FILE"
    assert sig.subfilter == "/ETSI.CAdES.detached" and sig.md_algorithm == "sha256"
    assert sig.certificate.fingerprint_sha256 == signer.certificate.fingerprint_sha256
    assert sig.certificate.self_signed and sig.registered_to == EXAMINER

    raw, data = read_embedded(PdfFileReader(io.BytesIO(signed_report.path.read_bytes())), "r")
    assert raw == canonical_bytes(data) and sha256_hex(raw) == signed_report.data_sha256
    stored = report_repository.list_findings(analysed_case)
    assert [f["digest"] for f in data["findings"]] == [f.digest for f in stored]
    assert [e["sha256"] for e in data["evidence"]] == [
        e.sha256 for e in report_repository.list_evidence(analysed_case)]
    assert data["chain_head"] == {"seq": signed_report.chain_head[0], "hash": signed_report.chain_head[1]}

    last = list(report_repository.iter_events(analysed_case))[-1]
    assert last.action == "report_signed" and last.subject_digest == signed_report.sha256
    assert last.seq == signed_report.chain_head[0] + 1
    payload = json.loads(last.payload)
    assert payload["report_id"] == data["report_id"] == signed_report.report_id
    assert payload["certificate_fingerprint"] == signer.certificate.fingerprint_sha256
    assert payload["chain_head"]["hash"] == signed_report.chain_head[1]
    assert sha256_hex(signed_report.path.read_bytes()) == payload["file_sha256"]


def test_pdfsig_and_qpdf_accept_the_report_and_pdfsig_sees_a_flipped_byte(signed_report, tmp_path):
    pdfsig, qpdf = needs_tool("pdfsig"), needs_tool("qpdf")
    # pdfsig exits 0 whether or not the signature holds: its text is what counts
    good = subprocess.run([pdfsig, str(signed_report.path)], capture_output=True, text=True,
                          check=False)
    assert "Signature is Valid." in good.stdout and "Total document signed" in good.stdout, good.stdout
    assert "ETSI.CAdES.detached" in good.stdout
    checked = subprocess.run([qpdf, "--check", str(signed_report.path)], capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte(signed_report.path.read_bytes()))
    bad = subprocess.run([pdfsig, str(tampered)], capture_output=True, text=True, check=False)
    assert "Digest Mismatch" in bad.stdout and "Signature is Valid." not in bad.stdout, bad.stdout


def test_a_flipped_byte_is_named_as_a_digest_mismatch(report_repository, analysed_case,
                                                       signed_report, tmp_path):
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte(signed_report.path.read_bytes()))
    result = verify_report(tampered, report_repository, analysed_case)
    assert not result.ok
    first = result.first_failure
    assert first.kind == "signature" and "digest mismatch" in first.message
    assert str(tampered) in first.message


def test_a_finding_altered_after_the_report_is_named(report_repository, analysed_case, signed_report):
    altered = next(f for f in report_repository.list_findings(analysed_case)
                   if f.verdict == "supports_manipulation")
    with report_repository.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER findings_no_update"))  # as an attacker with DB access
        connection.execute(text("UPDATE findings SET body = replace(body, 'periodic', 'no') "
                                "WHERE digest = :d"), {"d": altered.digest})
    result = verify_report(signed_report.path, report_repository, analysed_case)
    first = result.first_failure
    assert first.kind == "finding" and first.subject == altered.digest
    assert "altered after the report" in first.message and "test-report-toy on E2" in first.message


def test_embedded_data_swapped_and_re_signed_is_named(report_repository, home, analysed_case,
                                                      signer, tmp_path):
    # Someone holding the registered key makes a PDF whose data says the finding was different.
    cert = signer.certificate
    report_repository.record_certificate(EXAMINER, fingerprint_sha256=cert.fingerprint_sha256,
                                         subject=cert.subject, certificate_pem=cert.pem)
    content = build_report_content(report_repository, home, analysed_case, examiner=EXAMINER,
                                   signer=signer.certificate)
    data = case_data(content)
    forged = data["findings"][0]
    forged["reason"] = "no trace found"
    forged["digest"] = digest({k: v for k, v in forged.items() if k not in ("digest", "evidence")})
    pdf, _ = produce_pdf(content, data, signer)
    path = tmp_path / "forged.pdf"
    path.write_bytes(pdf)
    result = verify_report(path, report_repository, analysed_case)
    first = result.first_failure
    # caught from the PDF alone (no custody event recorded it), and by the database
    assert result.signatures[0].intact and first.kind == "anchor" and first.subject == forged["digest"]
    assert "no 'finding_recorded' event in the embedded custody chain" in first.message
    assert any(p.kind == "finding" and p.subject == forged["digest"]
               and "is not in the database" in p.message for p in result.problems)

    # Editing the embedded data without fixing the digest is caught from the PDF alone.
    forged["reason"] = "edited again"
    pdf, _ = produce_pdf(content, data, signer)
    path.write_bytes(pdf)
    alone = verify_report(path)
    assert alone.first_failure.kind == "embedded" and "does not re-hash" in alone.first_failure.message


def test_embedded_data_swapped_after_signing_breaks_coverage(report_repository, analysed_case,
                                                             signed_report, tmp_path):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_report.path.read_bytes()))
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    stream = embed.EmbeddedFileObject.from_file_data(writer, data=b'{"schema": "forged"}')
    names[1] = writer.add_object(embed.FileSpec(EMBEDDED_NAME, embedded_data=stream).as_pdf_object())
    writer.update_container(names)
    out = io.BytesIO()
    writer.write(out)
    path = tmp_path / "swapped.pdf"
    path.write_bytes(out.getvalue())
    result = verify_report(path, report_repository, analysed_case)
    first = result.first_failure
    assert first.kind == "signature" and "does not cover the entire file" in first.message
    assert result.problems[1].kind == "embedded"  # the swapped data is not report data


def test_malformed_embedded_data_is_named_not_a_crash(report_repository, home, analysed_case,
                                                      signer, tmp_path):
    content = build_report_content(report_repository, home, analysed_case, examiner=EXAMINER,
                                   signer=signer.certificate)
    data = case_data(content)
    del data["evidence"][1]["sha256"]
    pdf, _ = produce_pdf(content, data, signer)
    path = tmp_path / "malformed.pdf"
    path.write_bytes(pdf)
    first = verify_report(path, report_repository, analysed_case).first_failure
    assert first.kind == "embedded" and "evidence[1].sha256 is missing" in first.message


def test_a_report_checked_against_another_case_or_a_rewritten_chain_fails(
        report_repository, analysed_case, signed_report):
    other = verify_report(signed_report.path, report_repository, "2026-OTHER")
    assert other.first_failure.kind == "case" and "2026-OTHER" in other.first_failure.message
    with report_repository.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER custody_events_no_update"))
        connection.execute(text("UPDATE custody_events SET examiner = 'Mallory' WHERE seq = 2"))
    chain = verify_report(signed_report.path, report_repository, analysed_case).first_failure
    assert chain.kind == "chain" and chain.subject == "seq 2"


def test_draft_is_marked_on_every_page_and_fails_verification(report_repository, home,
                                                               analysed_case, tmp_path):
    draft = generate_report(report_repository, home, analysed_case, examiner=EXAMINER,
                            out=tmp_path / "draft.pdf")
    assert not draft.signed and draft.event.action == "report_drafted"
    pages = _pdftotext_pages(draft.path, draft.pages)
    for number, page in enumerate(pages, start=1):
        assert "UNSIGNED DRAFT" in page and f"page {number} of {draft.pages}" in page
    result = verify_report(draft.path, report_repository, analysed_case)
    assert result.first_failure.kind == "signature" and "UNSIGNED DRAFT" in result.first_failure.message
    assert len(result.problems) == 1  # its data still matches the database


def test_pages_render_non_blank_and_carry_every_section(report_repository, analysed_case,
                                                        signed_report, tmp_path):
    pdftoppm = needs_tool("pdftoppm")
    subprocess.run([pdftoppm, "-r", "30", "-gray", "-png", str(signed_report.path),
                    str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == signed_report.pages >= 6
    for image_path in images:
        histogram = Image.open(image_path).convert("L").histogram()
        inked = sum(histogram[:160]) / sum(histogram)
        assert 0.003 < inked < 0.5, f"{image_path.name}: {inked:.4f} of the page is inked"

    pages = _pdftotext_pages(signed_report.path, signed_report.pages)
    assert all(f"page {n} of {len(pages)}" in p for n, p in enumerate(pages, start=1))
    assert not any("UNSIGNED DRAFT" in p for p in pages)
    whole = "\n".join(pages)
    for needed in ("Forensic Examination Report", signed_report.report_id, "County DA",
                   "1 Conclusions", "moderate support for manipulation", "Appendix C",
                   "inconclusive: image too small", "no combined statement", "Re-verified",
                   "NOT VALIDATED", "Limitations", "Custody log", "Federal Rule", "902(14)",
                   signed_report.chain_head[1], EMBEDDED_NAME):
        assert needed in whole, needed
    for item in report_repository.list_evidence(analysed_case):
        assert item.sha256 in whole and item.md5 in whole
    for finding in report_repository.list_findings(analysed_case):
        assert finding.digest in whole


def test_a_validated_method_is_quoted_with_its_record(report_repository, home, analysed_case,
                                                      tmp_path):
    metrics = {"n_real": 40, "n_fake": 50, "auc": {"estimate": 0.93, "low": 0.88, "high": 0.97},
               "eer": 0.12, "cllr": {"estimate": 0.41, "low": 0.3, "high": 0.55},
               "false_positive_rate": {"errors": 2, "n": 40, "rate": 0.05, "low": 0.01, "high": 0.17}}
    record = ValidationRecord(
        detector="test-report-toy", detector_version="2.0.0", config_digest="", weights_digest=None,
        data={"name": "toy corpus", "manifest_digest": "f" * 64, "items": {"real": 80, "fake": 100}},
        calibration=Calibration("identity", 2.0, -1.0, 2.0, 40, 50), metrics=metrics,
        plots={"roc": {"fpr": [0, 0.1, 1], "tpr": [0, 0.8, 1]},
               "tippett": {"real": [-1.5, -0.2, 0.4], "fake": [-0.3, 1.1, 1.8]}},
        created="2026-11-20")

    def source(name, version, config, weights):
        return record if name == record.detector else None

    content = build_report_content(report_repository, home, analysed_case, examiner=EXAMINER,
                                   validation_source=source)
    (method,) = content.methods
    assert method.validation_digest == record.digest and dict(method.validation)["AUC"].startswith("0.93 ")
    assert not any(note.startswith("Not validated") for note in content.limitations)
    data = case_data(content)
    assert data["methods"][0]["validated"] and data["methods"][0]["validation_record_digest"] == record.digest
    pdf, pages = produce_pdf(content, data, None)
    path = tmp_path / "validated.pdf"
    path.write_bytes(pdf)
    whole = "\n".join(_pdftotext_pages(path, pages))
    assert "0.93 (95% CI 0.88-0.97)" in whole and record.digest in whole
    assert "Tippett" in whole and "NOT VALIDATED" not in whole


def test_evidence_that_no_longer_matches_is_shown_in_the_report(report_repository, home,
                                                                analysed_case, tmp_path):
    item = report_repository.list_evidence(analysed_case)[0]
    stored = home / analysed_case / "evidence" / item.sha256
    stored.chmod(0o644)
    stored.write_bytes(b"changed" + stored.read_bytes())
    content = build_report_content(report_repository, home, analysed_case, examiner=EXAMINER)
    entry = content.evidence[0]
    assert not entry.reverified and str(stored) in entry.problem
    assert any("Re-verification at report time found" in note for note in content.limitations)
    data = case_data(content)
    assert data["evidence"][0]["reverified"] is False and not data["verification_at_report_time"]["ok"]
    pdf, pages = produce_pdf(content, data, None)
    path = tmp_path / "mismatch.pdf"
    path.write_bytes(pdf)
    whole = "\n".join(_pdftotext_pages(path, pages))
    assert "NO (*)" in whole and "Warning: re-verification" in whole
