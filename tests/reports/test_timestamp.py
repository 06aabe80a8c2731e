"""PAdES B-T: the report's signature carries an RFC 3161 time-stamp from a service the
test starts on 127.0.0.1; verify and pdfsig read it; a visible signature block sits on the
certification page; an unreachable service stops the report, naming the URL."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime

import pytest
from asn1crypto import pem
from pyhanko.pdf_utils.reader import PdfFileReader

from forensics.errors import SigningError
from forensics.reports.generate import generate_report
from forensics.reports.sign import load_signer
from forensics.reports.verify import verify_report
from tests.conftest import EXAMINER
from tests.reports.conftest import PASSPHRASE, flip_byte, needs_tool
from tests.reports.tsa import TSA_NAME, time_stamping_service


@pytest.fixture
def tsa():
    with time_stamping_service() as service:
        yield service


@pytest.fixture
def stamped_report(report_repository, home, analysed_case, examiner_key, tsa, tmp_path):
    url, _ = tsa
    signer = load_signer(examiner_key.key_path, PASSPHRASE, tsa_url=url)
    return generate_report(report_repository, home, analysed_case, examiner=EXAMINER,
                           out=tmp_path / "stamped.pdf", signer=signer)


def test_the_signature_carries_the_services_time_stamp(stamped_report, tsa):
    _, tsa_cert = tsa
    result = verify_report(stamped_report.path)
    assert result.ok, result.problems
    (sig,) = result.signatures
    assert sig.level == "PAdES B-T" and sig.timestamp_valid
    assert TSA_NAME in sig.timestamp_authority and sig.timestamp_authority_sha256 == tsa_cert.sha256.hex()
    stamped_at = datetime.fromisoformat(sig.timestamp)
    assert abs((datetime.now(UTC) - stamped_at).total_seconds()) < 120


def test_pdfsig_accepts_it_and_openssl_verifies_the_time_stamp(stamped_report, tsa, tmp_path):
    # poppler 22's pdfsig checks the signature but prints nothing about time-stamps
    pdfsig = needs_tool("pdfsig")
    good = subprocess.run([pdfsig, str(stamped_report.path)], capture_output=True, text=True,
                          check=False).stdout
    assert "Signature is Valid." in good and "Total document signed" in good, good
    # openssl, independently: the token is the TSA's and stamps this signature's value
    _, tsa_cert = tsa
    sig = PdfFileReader(io.BytesIO(stamped_report.path.read_bytes()), strict=False).embedded_signatures[0]
    signer_info = sig.signer_info
    token = next(a["values"][0] for a in signer_info["unsigned_attrs"]
                 if a["type"].native == "signature_time_stamp_token")
    (tmp_path / "token.der").write_bytes(token.dump())
    (tmp_path / "signature.bin").write_bytes(signer_info["signature"].native)
    (tmp_path / "tsa.pem").write_bytes(pem.armor("CERTIFICATE", tsa_cert.dump()))
    openssl = needs_tool("openssl")
    verify = [openssl, "ts", "-verify", "-in", str(tmp_path / "token.der"), "-token_in",
              "-CAfile", str(tmp_path / "tsa.pem"), "-data"]
    checked = subprocess.run([*verify, str(tmp_path / "signature.bin")], capture_output=True, text=True)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    (tmp_path / "other.bin").write_bytes(b"another signature value")
    other = subprocess.run([*verify, str(tmp_path / "other.bin")], capture_output=True, text=True)
    assert other.returncode != 0 and "message imprint mismatch" in other.stdout + other.stderr


def test_a_flipped_byte_in_a_time_stamped_report_is_named(stamped_report, tmp_path):
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte(stamped_report.path.read_bytes()))
    first = verify_report(tampered).first_failure
    assert first.kind == "signature" and "digest mismatch" in first.message


def test_a_visible_signature_block_on_the_certification_page(stamped_report, signer):
    tool = needs_tool("pdftotext")
    last = stamped_report.pages
    page = subprocess.run([tool, "-layout", "-f", str(last - 4), "-l", str(last), str(stamped_report.path),
                           "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(page.split())
    fingerprint = signer.certificate.fingerprint_sha256
    assert "Digitally signed by Test Examiner" in flat and "Time-stamp: RFC 3161, from http://127.0.0.1" in flat
    assert fingerprint[:32] in flat and fingerprint[32:] in flat
    certification = flat.index("7 Certification")
    assert flat.index("Digitally signed by") > certification
    # set with the right glyph widths: "Digitally" at 8 pt is about 33 pt wide (twice that
    # when a font's 2048-unit widths are written as if per 1000)
    boxes = subprocess.run([tool, "-bbox", str(stamped_report.path), "-"], capture_output=True,
                           text=True, check=True).stdout
    word = re.search(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">Digitally<', boxes)
    assert word is not None and 25 < float(word.group(2)) - float(word.group(1)) < 45


def test_an_unreachable_service_stops_the_report(report_repository, home, analysed_case,
                                                  examiner_key, tmp_path):
    with time_stamping_service() as (url, _):
        pass  # started and stopped: nothing answers on that port now
    signer = load_signer(examiner_key.key_path, PASSPHRASE, tsa_url=url)
    before = list(report_repository.iter_events(analysed_case))
    out = tmp_path / "never.pdf"
    with pytest.raises(SigningError, match=f"{url}: the time-stamping service gave no time-stamp"):
        generate_report(report_repository, home, analysed_case, examiner=EXAMINER, out=out,
                        signer=signer)
    assert not out.exists() and list(report_repository.iter_events(analysed_case)) == before
    with pytest.raises(SigningError, match="is an http:// or https:// URL"):
        load_signer(examiner_key.key_path, PASSPHRASE, tsa_url="ftp://127.0.0.1/tsa")
