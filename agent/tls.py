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
import sys
from pathlib import Path
from typing import Any

CERT_FILE = "agent.crt"
KEY_FILE = "agent.key"


def thumbprint(cert_pem: bytes) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert_pem.decode())).hexdigest()


class CertificateError(Exception):
    """The first start could not create the agent's certificate."""


def ensure_certificate(
    tls_dir: Path, extra_names: list[str], *, in_child: bool = False
) -> tuple[Path, Path]:
    """Return (cert, key) paths, generating both when either is missing.

    The agent passes `in_child`: generation then runs in a forked child, because
    `cryptography` is large, is needed once in the agent's life, and would otherwise stay
    loaded in the long-running process. Only a single-threaded caller may ask for that (fork
    copies the calling thread alone; a lock held by another one would never be released).
    """
    cert_path, key_path = tls_dir / CERT_FILE, tls_dir / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    if not in_child:
        _generate(tls_dir, cert_path, key_path, extra_names)
        return cert_path, key_path
    pid = os.fork()
    if pid == 0:  # the child: generate, write, and leave without running the parent's cleanup
        code = 1
        try:
            _generate(tls_dir, cert_path, key_path, extra_names)
            code = 0
        except BaseException as error:  # reported by the parent through the exit code
            print(f"shoal-agent: cannot create the certificate: {error}", file=sys.stderr)
        finally:
            os._exit(code)
    _, wait_status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(wait_status) != 0 or not cert_path.exists():
        raise CertificateError(f"could not create the agent's certificate in {tls_dir}")
    return cert_path, key_path


def _generate(tls_dir: Path, cert_path: Path, key_path: Path, extra_names: list[str]) -> None:
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
