"""The agent's self-signed certificate: created on first start, reused afterwards.

The control plane pins it by thumbprint (SHA-256 of the DER certificate), so deleting the files
makes a new identity that the control plane will distrust until an admin approves it.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import socket
import ssl
from pathlib import Path
from typing import Any

CERT_FILE = "agent.crt"
KEY_FILE = "agent.key"


def thumbprint(cert_pem: bytes) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert_pem.decode())).hexdigest()


def ensure_certificate(tls_dir: Path, extra_names: list[str]) -> tuple[Path, Path]:
    """Return (cert, key) paths, generating both when either is missing."""
    cert_path, key_path = tls_dir / CERT_FILE, tls_dir / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    # Imported here: cryptography is large and only needed once, on the very first start.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    hostname = socket.gethostname()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"shoal-agent {hostname}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(_alt_names(hostname, extra_names)), False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(key_path, key_pem)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_path, key_path)
    return context


def _alt_names(hostname: str, extra_names: list[str]) -> list[Any]:
    from cryptography import x509

    names: dict[str, x509.GeneralName] = {}
    for value in [hostname, "localhost", "127.0.0.1", "::1", *extra_names, *_addresses(hostname)]:
        if not value or value in ("0.0.0.0", "::"):
            continue
        try:
            names[value] = x509.IPAddress(ipaddress.ip_address(value))
        except ValueError:
            names[value] = x509.DNSName(value)
    return list(names.values())


def _addresses(hostname: str) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(hostname, None)})
    except OSError:
        return []


def _write_private(path: Path, data: bytes) -> None:
    # Created owner-only from the start, never world-readable even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
