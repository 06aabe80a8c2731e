"""PAdES signing of a report with an examiner's key (pyHanko).

The signature is an approval signature with the ETSI.CAdES.detached sub-filter and
SHA-256, invisible, in the field ``SIGNATURE_FIELD``. No time-stamp authority is
reachable offline, so the level is PAdES B-B.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore

from forensics.errors import SigningError
from forensics.keys import (
    CertificateInfo,
    cert_path_for,
    check_pair,
    load_certificate,
    load_private_key,
)

SIGNATURE_FIELD = "ExaminerSignature"
DIGEST_ALGORITHM = "sha256"


@dataclass(frozen=True)
class ReportSigner:
    """An examiner's key and certificate, loaded and checked to belong together."""

    certificate: CertificateInfo  #: the signing certificate
    key_path: Path  #: where the key was read from (for messages)
    signer: signers.SimpleSigner = field(repr=False, compare=False)  #: pyHanko's signer


def load_signer(key_path: Path, passphrase: str | None, cert_path: Path | None = None) -> ReportSigner:
    """Load an encrypted key and its certificate (by default beside it, ``.cert.pem``)."""
    cert_file = cert_path or cert_path_for(key_path)
    cert = load_certificate(cert_file)
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningError(f"{cert_file}: the certificate is valid from {cert.not_valid_before_utc} "
                           f"to {cert.not_valid_after_utc}, not now")
    key = load_private_key(key_path, passphrase)
    check_pair(key, cert, key_path)
    signer = signers.SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=SimpleCertificateStore(),
    )
    return ReportSigner(CertificateInfo.from_certificate(cert), key_path, signer)


def sign_pdf(writer: BasePdfFileWriter, signer: ReportSigner, *, reason: str) -> bytes:
    """Sign everything pending in ``writer`` (an incremental writer) and return the file."""
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm=DIGEST_ALGORITHM,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason,
        name=signer.certificate.common_name or signer.certificate.subject,
    )
    try:
        output = signers.sign_pdf(writer, meta, signer=signer.signer)
    except ValueError as exc:  # pyHanko's SigningError is a ValueError
        raise SigningError(f"{signer.key_path}: signing the report failed ({exc})") from None
    return output.getvalue()
