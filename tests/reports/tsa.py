"""A small RFC 3161 time-stamping service on 127.0.0.1 for the tests: pyHanko's
DummyTimeStamper (a TSA that signs every request with its own RSA certificate) behind
http.server, answering POSTs of application/timestamp-query as a real TSA does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

TSA_NAME = "Test Time-Stamping Authority"


def _tsa_identity() -> tuple[asn1_x509.Certificate, keys.PrivateKeyInfo]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TSA_NAME)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256()))
    der_key = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            keys.PrivateKeyInfo.load(der_key))


@contextmanager
def time_stamping_service() -> Iterator[tuple[str, asn1_x509.Certificate]]:
    """Serve RFC 3161 on 127.0.0.1 (a free port); yields its URL and certificate."""
    cert, key = _tsa_identity()
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key, certs_to_embed=[cert])  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server calls it by this name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            """No access log: the tests read the service's replies, not its log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", cert
    finally:
        server.shutdown()
        server.server_close()
