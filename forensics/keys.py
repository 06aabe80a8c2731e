"""Examiner signing keys: a key pair and an X.509 certificate per examiner.

The private key is written only to a file, encrypted (PKCS#8 with the passphrase, mode
0600); the case database records the certificate and its SHA-256 fingerprint alone.
A certificate is self-signed, or issued by a lab CA whose certificate and key are given.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from forensics.canonical import sha256_hex
from forensics.errors import SigningError
from forensics.model.records import format_time

ENV_PASSPHRASE = "FORENSICS_KEY_PASSPHRASE"
ENV_CA_PASSPHRASE = "FORENSICS_CA_KEY_PASSPHRASE"
KEY_SUFFIX = ".key.pem"
CERT_SUFFIX = ".cert.pem"
DEFAULT_VALID_DAYS = 730
MIN_PASSPHRASE = 8  # a short passphrase protects a signing key too little

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class KeyAlgorithm(str, enum.Enum):
    """Key types an examiner may choose; both are accepted by PAdES validators."""

    EC_P256 = "ec-p256"
    RSA_3072 = "rsa-3072"

    def generate(self) -> PrivateKey:
        if self is KeyAlgorithm.EC_P256:
            return ec.generate_private_key(ec.SECP256R1())
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)


@dataclass(frozen=True)
class CertificateInfo:
    """What a report and `forensics keys list` show about a certificate."""

    subject: str  #: RFC 4514 distinguished name, e.g. "CN=Jane Roe,O=Lab"
    common_name: str  #: the subject's CN (the examiner's name for our certificates)
    issuer: str  #: RFC 4514 name of the issuer (equal to subject when self-signed)
    fingerprint_sha256: str  #: hex SHA-256 of the DER certificate
    serial: str  #: serial number, hex
    not_before: str  #: ISO 8601 UTC
    not_after: str  #: ISO 8601 UTC
    self_signed: bool  #: issuer == subject and the signature verifies with its own key
    pem: str = field(repr=False)  #: the certificate, PEM

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> CertificateInfo:
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return cls(
            subject=cert.subject.rfc4514_string(),
            common_name=str(names[0].value) if names else "",
            issuer=cert.issuer.rfc4514_string(),
            fingerprint_sha256=fingerprint(cert),
            serial=f"{cert.serial_number:x}",
            not_before=format_time(cert.not_valid_before_utc),
            not_after=format_time(cert.not_valid_after_utc),
            self_signed=_is_self_signed(cert),
            pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        )

    @classmethod
    def from_pem(cls, pem: str | bytes) -> CertificateInfo:
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        return cls.from_certificate(x509.load_pem_x509_certificate(data))

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "common_name": self.common_name,
            "issuer": self.issuer,
            "fingerprint_sha256": self.fingerprint_sha256,
            "serial": self.serial,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "self_signed": self.self_signed,
        }


@dataclass(frozen=True)
class KeyFiles:
    """The files `create_examiner_key` wrote."""

    key_path: Path  #: encrypted PKCS#8 private key, PEM, mode 0600
    cert_path: Path  #: X.509 certificate, PEM
    certificate: CertificateInfo


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the DER encoding: how the suite names a certificate."""
    return sha256_hex(cert.public_bytes(serialization.Encoding.DER))


def examiner_slug(name: str) -> str:
    """'Jane Roe' -> 'jane-roe': the examiner's key file stem."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if not slug:
        raise SigningError(f"examiner name {name!r} gives no usable file name")
    return slug


def key_paths(out_dir: Path, examiner: str) -> tuple[Path, Path]:
    """Where an examiner's key and certificate live under ``out_dir``."""
    stem = examiner_slug(examiner)
    return out_dir / f"{stem}{KEY_SUFFIX}", out_dir / f"{stem}{CERT_SUFFIX}"


def cert_path_for(key_path: Path) -> Path:
    """The certificate stored beside a key file (``x.key.pem`` -> ``x.cert.pem``)."""
    name = key_path.name
    stem = name[: -len(KEY_SUFFIX)] if name.endswith(KEY_SUFFIX) else key_path.stem
    return key_path.with_name(f"{stem}{CERT_SUFFIX}")


def check_passphrase(passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise SigningError(
            f"the key passphrase must have at least {MIN_PASSPHRASE} characters "
            "(the private key is always stored encrypted)"
        )
    return passphrase.encode("utf-8")


def create_examiner_key(
    examiner: str,
    passphrase: str,
    *,
    out_dir: Path,
    algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256,
    organization: str = "",
    ca_cert_path: Path | None = None,
    ca_key_path: Path | None = None,
    ca_passphrase: str | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
    now: datetime | None = None,
) -> KeyFiles:
    """Make a key pair and certificate for ``examiner``; refuse to overwrite files."""
    secret = check_passphrase(passphrase)
    key_path, cert_path = key_paths(out_dir, examiner)
    for path in (key_path, cert_path):
        if path.exists():
            raise SigningError(f"{path}: already exists; an examiner key is never overwritten")
    if (ca_cert_path is None) != (ca_key_path is None):
        raise SigningError("a lab CA needs both its certificate (--ca) and its key (--ca-key)")

    key = algorithm.generate()
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, examiner.strip())]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    subject = x509.Name(attributes)
    start = (now or datetime.now(UTC)) - timedelta(minutes=5)  # clock skew
    if ca_cert_path is not None and ca_key_path is not None:
        ca_cert = load_certificate(ca_cert_path)
        ca_key = load_private_key(ca_key_path, ca_passphrase)
        check_pair(ca_key, ca_cert, ca_key_path)
        issuer, signing_key, issuer_public = ca_cert.subject, ca_key, ca_cert.public_key()
    else:
        issuer, signing_key, issuer_public = subject, key, key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # non_repudiation (content_commitment) is what PAdES validators expect
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(signing_key, hashes.SHA256())
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )
    _write_new(key_path, key_pem, mode=0o600)
    try:
        _write_new(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    except BaseException:
        key_path.unlink(missing_ok=True)  # no key without its certificate
        raise
    return KeyFiles(key_path, cert_path, CertificateInfo.from_certificate(cert))


def load_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the certificate ({exc.strerror})") from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise SigningError(f"{path}: not an X.509 certificate ({exc})") from None


def load_private_key(path: Path, passphrase: str | None) -> PrivateKey:
    """Load a PEM private key; a wrong or missing passphrase is a SigningError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"{path}: cannot read the private key ({exc.strerror})") from None
    secret = passphrase.encode("utf-8") if passphrase else None
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except TypeError:
        raise SigningError(f"{path}: the private key is encrypted; a passphrase is needed") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SigningError(
            f"{path}: cannot decrypt the private key (wrong passphrase, or not a PEM key)"
        ) from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise SigningError(f"{path}: only EC and RSA keys can sign reports")
    return key


def check_pair(key: PrivateKey, cert: x509.Certificate, key_path: Path) -> None:
    """Refuse a key whose public half is not the certificate's."""
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(der, spki) != cert.public_key().public_bytes(der, spki):
        raise SigningError(
            f"{key_path}: the private key does not belong to the certificate "
            f"{cert.subject.rfc4514_string()} ({fingerprint(cert)[:16]}...)"
        )


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create ``path`` exclusively with ``mode`` (the key is never readable by others)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise SigningError(f"{path}: already exists; an examiner key is never overwritten") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
