"""PAdES signing of a report with an examiner's key (pyHanko).

The signature is an approval signature with the ETSI.CAdES.detached sub-filter and
SHA-256 in the field ``SIGNATURE_FIELD``, drawn as a visible block on the certification
page (signer, signing time, certificate fingerprint; set in embedded DejaVu). Given a
time-stamping authority (RFC 3161, ``tsa_url``), the signature carries its time-stamp
token: PAdES B-T, a signing time a third party vouches for; without one, PAdES B-B.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from forensics.errors import SigningError
from forensics.keys import (
    CertificateInfo,
    cert_path_for,
    check_pair,
    load_certificate,
    load_private_key,
)
from forensics.reports.fonts import SANS, font_file

# fontTools warns that it drops DejaVu's FontForge timestamp table (FFTM) when it subsets
# the font for the signature block: harmless, and not for the examiner's terminal.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

SIGNATURE_FIELD = "ExaminerSignature"
DIGEST_ALGORITHM = "sha256"
TSA_TIMEOUT_S = 15
STAMP_TEXT = ("Digitally signed by %(signer)s\n"
              "Signing time (signer's clock): %(ts)s\n"
              "%(time_source)s\n"
              "Certificate SHA-256: %(fp_head)s\n"
              "%(fp_tail)s")


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
    pdf_signer = signers.PdfSigner(meta, signer=signer.signer, timestamper=timestamper,
                                   stamp_style=_stamp_style())
    time_source = (f"RFC 3161 time-stamp from {signer.tsa_url} in the signature"
                   if signer.tsa_url else "no trusted time-stamp")
    try:
        output = pdf_signer.sign_pdf(writer, appearance_text_params={
            "fp_head": cert.fingerprint_sha256[:32], "fp_tail": cert.fingerprint_sha256[32:],
            "time_source": time_source})
    except (TimestampRequestError, requests.RequestException) as exc:
        raise SigningError(f"{signer.tsa_url}: the time-stamping service gave no time-stamp "
                           f"({exc}); the report was not signed") from None
    except (PyHankoSigningError, ValueError) as exc:
        raise SigningError(f"{signer.key_path}: signing the report failed ({exc})") from None
    return output.getvalue()


def _stamp_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        timestamp_format="%Y-%m-%d %H:%M:%S %Z",
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(font_file(SANS)), font_size=8)),
        border_width=1,
        background=None,
    )
