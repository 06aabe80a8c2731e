"""Examiner keys: encrypted on disk only, certificates registered in the database."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from forensics.errors import SigningError
from forensics.keys import (
    CertificateInfo,
    KeyAlgorithm,
    create_examiner_key,
    examiner_slug,
    load_private_key,
)
from forensics.reports.sign import load_signer
from tests.conftest import EXAMINER

PASSPHRASE = "correct horse battery"


def _lab_ca(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lab Test CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "ca.cert.pem", folder / "ca.key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert, cert_path, key_path


def test_self_signed_key_is_encrypted_private_and_never_overwritten(tmp_path):
    files = create_examiner_key("Jane Roe", PASSPHRASE, out_dir=tmp_path)
    assert files.key_path.name == "jane-roe.key.pem" and files.cert_path.name == "jane-roe.cert.pem"
    assert files.key_path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600
    cert = files.certificate
    assert cert.common_name == "Jane Roe" and cert.self_signed and cert.issuer == cert.subject
    assert CertificateInfo.from_pem(files.cert_path.read_bytes()) == cert
    assert load_signer(files.key_path, PASSPHRASE).certificate == cert
    with pytest.raises(SigningError, match=r"jane-roe\.key\.pem.*wrong passphrase"):
        load_private_key(files.key_path, "not the passphrase")
    with pytest.raises(SigningError, match="passphrase is needed"):
        load_private_key(files.key_path, None)
    with pytest.raises(SigningError, match="already exists"):
        create_examiner_key("Jane Roe", PASSPHRASE, out_dir=tmp_path)
    with pytest.raises(SigningError, match="at least 8 characters"):
        create_examiner_key("John Doe", "short", out_dir=tmp_path)
    assert examiner_slug("  Dr. Ann-Marie O'Neil ") == "dr-ann-marie-o-neil"


def test_a_lab_ca_issues_an_rsa_examiner_certificate(tmp_path):
    ca_cert, ca_cert_path, ca_key_path = _lab_ca(tmp_path)
    files = create_examiner_key("Jane Roe", PASSPHRASE, out_dir=tmp_path / "keys",
                                algorithm=KeyAlgorithm.RSA_3072, organization="County Lab",
                                ca_cert_path=ca_cert_path, ca_key_path=ca_key_path)
    cert = x509.load_pem_x509_certificate(files.cert_path.read_bytes())
    cert.verify_directly_issued_by(ca_cert)
    assert cert.public_key().key_size == 3072
    assert files.certificate.issuer == "CN=Lab Test CA" and not files.certificate.self_signed
    assert files.certificate.subject == "O=County Lab,CN=Jane Roe"
    with pytest.raises(SigningError, match="does not belong to the certificate"):
        create_examiner_key("John Doe", PASSPHRASE, out_dir=tmp_path / "keys",
                            ca_cert_path=ca_cert_path, ca_key_path=files.key_path,
                            ca_passphrase=PASSPHRASE)


def test_a_key_that_is_not_the_certificates_is_refused(tmp_path):
    jane = create_examiner_key("Jane Roe", PASSPHRASE, out_dir=tmp_path)
    john = create_examiner_key("John Doe", PASSPHRASE, out_dir=tmp_path)
    with pytest.raises(SigningError, match=r"john-doe\.key\.pem: the private key does not belong"):
        load_signer(john.key_path, PASSPHRASE, jane.cert_path)


def test_certificates_are_registered_once_per_examiner(repository, tmp_path):
    cert = create_examiner_key(EXAMINER, PASSPHRASE, out_dir=tmp_path).certificate
    args = {"fingerprint_sha256": cert.fingerprint_sha256, "subject": cert.subject,
            "certificate_pem": cert.pem}
    first = repository.record_certificate(EXAMINER, **args)
    assert repository.record_certificate(EXAMINER, **args) == first
    with pytest.raises(SigningError, match="registered to examiner"):
        repository.record_certificate("Someone Else", **args)
    assert repository.list_certificates() == [first]
    assert repository.find_certificate(cert.fingerprint_sha256) == first
    assert repository.find_certificate("0" * 64) is None
    assert first.as_json()["examiner"] == EXAMINER and "PRIVATE" not in first.certificate_pem
