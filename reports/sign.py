"""PAdES signing of a report with an examiner's key (pyHanko).

The signature is an approval signature with the ETSI.CAdES.detached sub-filter and
SHA-256 in the field ``SIGNATURE_FIELD``, drawn as a visible block on the certification
page (signer, signing time, certificate fingerprint; set in embedded DejaVu). Given a
time-stamping authority (RFC 3161, ``tsa_url``), the signature carries its time-stamp
token: PAdES B-T, a signing time a third party vouches for; without one, PAdES B-B.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from forensics.errors import SigningError
from forensics.keys import (
    CertificateInfo,
    cert_path_for,
    check_pair,
    load_certificate,
    load_private_key,
)
from forensics.reports.signature_block import block_pdf

SIGNATURE_FIELD = "ExaminerSignature"
DIGEST_ALGORITHM = "sha256"
TSA_TIMEOUT_S = 15


@dataclass(frozen=True)
class ReportSigner:
    """An examiner's key and certificate, loaded and checked to belong together."""

    certificate: CertificateInfo  #: the signing certificate
    key_path: Path  #: where the key was read from (for messages)
    signer: signers.SimpleSigner = field(repr=False, compare=False)  #: pyHanko's signer
    tsa_url: str | None = None  #: RFC 3161 time-stamping service; None = no time-stamp (B-B)


@dataclass(frozen=True)
class SignatureBox:
    """Where the visible signature goes: a page (0-based) and a rectangle in points."""

    page: int
    box: tuple[int, int, int, int]  #: x1, y1, x2, y2 from the page's lower left corner


def load_signer(key_path: Path, passphrase: str | None, cert_path: Path | None = None,
                tsa_url: str | None = None) -> ReportSigner:
    """Load an encrypted key and its certificate (by default beside it, ``.cert.pem``)."""
    cert_file = cert_path or cert_path_for(key_path)
    cert = load_certificate(cert_file)
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningError(f"{cert_file}: the certificate is valid from {cert.not_valid_before_utc} "
                           f"to {cert.not_valid_after_utc}, not now")
    if tsa_url is not None and not tsa_url.startswith(("http://", "https://")):
        raise SigningError(f"{tsa_url}: a time-stamping service is an http:// or https:// URL")
    key = load_private_key(key_path, passphrase)
    check_pair(key, cert, key_path)
    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=SimpleCertificateStore(),
    )
    return ReportSigner(CertificateInfo.from_certificate(cert), key_path, signer, tsa_url)


def sign_pdf(writer: BasePdfFileWriter, signer: ReportSigner, *, reason: str,
             box: SignatureBox | None = None) -> bytes:
    """Sign everything pending in ``writer`` (an incremental writer) and return the file;
    the signature is drawn in ``box`` when given."""
    cert = signer.certificate
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        name=cert.common_name or cert.subject,
    )
    if box is not None:
        fields.append_signature_field(writer, fields.SigFieldSpec(
            SIGNATURE_FIELD, on_page=box.page, box=box.box))
    timestamper = (None if signer.tsa_url is None
                   else RequestsHTTPTimeStamper(signer.tsa_url, timeout=TSA_TIMEOUT_S))
    with tempfile.TemporaryDirectory(prefix="forensics-signature-") as folder:
        style = None
        if box is not None:  # pyHanko imports the block from a file
            block = Path(folder) / "block.pdf"
            x1, y1, x2, y2 = box.box
            block.write_bytes(_block(signer, x2 - x1, y2 - y1))
            style = StaticStampStyle.from_pdf_file(str(block), border_width=0)
        pdf_signer = signers.PdfSigner(meta, signer=signer.signer, timestamper=timestamper,
                                       stamp_style=style)
        return _sign(pdf_signer, writer, signer)


def _sign(pdf_signer: signers.PdfSigner, writer: BasePdfFileWriter, signer: ReportSigner) -> bytes:
    try:
        output = pdf_signer.sign_pdf(writer)
    except (TimestampRequestError, requests.RequestException) as exc:
        raise SigningError(f"{signer.tsa_url}: the time-stamping service gave no time-stamp "
                           f"({exc}); the report was not signed") from None
    except (PyHankoSigningError, ValueError) as exc:
        raise SigningError(f"{signer.key_path}: signing the report failed ({exc})") from None
    return output.getvalue()


def _block(signer: ReportSigner, width: float, height: float) -> bytes:
    cert = signer.certificate
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    time_source = (f"Time-stamp: RFC 3161, from {signer.tsa_url}" if signer.tsa_url
                   else "No trusted time-stamp (PAdES B-B)")
    return block_pdf(width, height, f"Digitally signed by {cert.common_name or cert.subject}",
                     [f"Signing time (signer's clock): {now}", time_source, "Certificate SHA-256:"],
                     [cert.fingerprint_sha256[:32], cert.fingerprint_sha256[32:]])
