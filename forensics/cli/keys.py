"""`forensics keys`: examiner signing keys and certificates."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import typer
from rich.table import Table

from forensics.cli.output import (
    EXAMINER_OPTION,
    JSON_OPTION,
    cell,
    emit_json,
    handle_errors,
    stdout,
)
from forensics.cli.state import state

# The options are declared without importing forensics.keys, which loads cryptography
# (~30 ms) that every start of the CLI would pay; tests/cli/test_lazy_imports.py keeps
# these copies equal to forensics.keys.
KeyAlgorithmName = Literal["ec-p256", "rsa-3072"]  #: values of forensics.keys.KeyAlgorithm
DEFAULT_ALGORITHM: KeyAlgorithmName = "ec-p256"
DEFAULT_VALID_DAYS = 730
ENV_PASSPHRASE = "FORENSICS_KEY_PASSPHRASE"
ENV_CA_PASSPHRASE = "FORENSICS_CA_KEY_PASSPHRASE"

app = typer.Typer(help="Examiner signing keys and certificates.", no_args_is_help=True)


def read_passphrase(env: str, prompt: str, *, confirm: bool = False, allow_empty: bool = False) -> str:
    """A passphrase from ``env``, else asked for on the terminal (never echoed)."""
    value = os.environ.get(env)
    if value is not None:
        return value
    return typer.prompt(f"{prompt} (or set {env})", hide_input=True, confirmation_prompt=confirm,
                        default="" if allow_empty else None, show_default=False)


def key_dir(ctx: typer.Context) -> Path:
    return state(ctx).settings.home / "keys"


@app.command("create")
@handle_errors
def create(
    ctx: typer.Context,
    examiner: str | None = EXAMINER_OPTION,
    algorithm: KeyAlgorithmName = typer.Option(DEFAULT_ALGORITHM, "--algorithm", help="Key type."),
    organization: str = typer.Option("", "--organization", help="O= of the certificate subject."),
    ca: Path | None = typer.Option(None, "--ca", help="Lab CA certificate that issues the "
                                      "examiner certificate (default: self-signed)."),
    ca_key: Path | None = typer.Option(None, "--ca-key", help="The lab CA's private key "
                                          f"(passphrase from {ENV_CA_PASSPHRASE} or a prompt)."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the key and certificate "
                                       "[default: HOME/keys]."),
    valid_days: int = typer.Option(DEFAULT_VALID_DAYS, "--valid-days", help="Certificate lifetime."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Make an examiner's key pair and X.509 certificate. The private key is written only to
    a file, encrypted (PKCS#8; passphrase from FORENSICS_KEY_PASSPHRASE or a prompt); the
    case database records the certificate and its SHA-256 fingerprint."""
    from forensics.keys import KeyAlgorithm, create_examiner_key
    from forensics.storage.repository import check_examiner

    name = check_examiner(examiner)
    passphrase = read_passphrase(ENV_PASSPHRASE, "Passphrase for the new private key", confirm=True)
    ca_passphrase = None
    if ca_key is not None:
        ca_passphrase = read_passphrase(ENV_CA_PASSPHRASE, "Passphrase of the CA key (empty: none)",
                                        allow_empty=True) or None
    files = create_examiner_key(
        name, passphrase, out_dir=out or key_dir(ctx), algorithm=KeyAlgorithm(algorithm),
        organization=organization, ca_cert_path=ca, ca_key_path=ca_key,
        ca_passphrase=ca_passphrase, valid_days=valid_days,
    )
    cert = files.certificate
    try:
        state(ctx).repository.record_certificate(
            name, fingerprint_sha256=cert.fingerprint_sha256, subject=cert.subject,
            certificate_pem=cert.pem)
    except BaseException:  # an unregistered key is not left behind
        files.key_path.unlink(missing_ok=True)
        files.cert_path.unlink(missing_ok=True)
        raise
    if as_json:
        emit_json({"ok": True, "examiner": name, "key": str(files.key_path),
                   "certificate": str(files.cert_path), **cert.as_json()})
        return
    typer.echo(f"key {files.key_path} (encrypted PKCS#8)\ncertificate {files.cert_path}\n"
               f"subject {cert.subject}, issuer {cert.issuer}\n"
               f"fingerprint SHA-256 {cert.fingerprint_sha256} (registered for {name})")


@app.command("list")
@handle_errors
def list_keys(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the registered examiner certificates (and the certificate files under
    HOME/keys that match them)."""
    from forensics.keys import CERT_SUFFIX, CertificateInfo

    local = {}
    folder = key_dir(ctx)
    if folder.is_dir():
        for path in sorted(folder.glob(f"*{CERT_SUFFIX}")):
            local[CertificateInfo.from_pem(path.read_bytes()).fingerprint_sha256] = path
    rows = []
    for registered in state(ctx).repository.list_certificates():
        info = CertificateInfo.from_pem(registered.certificate_pem)
        rows.append(dict(registered.as_json(), issuer=info.issuer, not_after=info.not_after,
                         self_signed=info.self_signed,
                         certificate_file=str(local.get(info.fingerprint_sha256) or "") or None))
    if as_json:
        emit_json(rows)
        return
    table = Table("Examiner", "Subject", "Fingerprint SHA-256", "Valid until", "Self-signed", "File")
    for row in rows:
        table.add_row(cell(row["examiner"]), cell(row["subject"]), row["fingerprint_sha256"], row["not_after"],
                      "yes" if row["self_signed"] else "no", row["certificate_file"] or "-")
    stdout.print(table)
