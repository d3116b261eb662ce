"""HTTPS per environment: `tls internal` hosts are served with a certificate from Caddy's own CA."""

from __future__ import annotations

import asyncio
import ssl

import pytest
from cryptography import x509


async def _https_get(port: int, host: str) -> tuple[bytes, bytes]:
    """GET / over TLS to 127.0.0.1 with `host` as SNI and Host; gives (status, DER cert)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=host), 15
    )
    try:
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 15)
    finally:
        writer.close()
    return response.split(b"\r\n", 1)[0], der


@pytest.mark.docker
async def test_internal_tls_environment_is_served_over_https(db, caddy, kit, httpd, make_syncer):
    secure = await kit.add_environment("secure", tls_mode="internal")
    plain = await kit.add_environment("plain")
    await kit.add_deployment(secure, await kit.add_node(secure), "demo", {"web": httpd})
    await kit.add_deployment(plain, await kit.add_node(plain), "demo", {"web": httpd})
    status = await make_syncer().sync_now()
    assert status.last_error == ""

    status_line, cert = await _https_get(caddy.tls_port, "web.demo.secure.shoal.test")
    assert status_line == b"HTTP/1.1 200 OK"
    certificate = x509.load_der_x509_certificate(cert)
    assert "Caddy Local Authority" in certificate.issuer.rfc4514_string()
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["web.demo.secure.shoal.test"]
    redirect = await kit.get("web.demo.secure.shoal.test", "/a?b=1")
    assert redirect.status_code == 308
    assert redirect.headers["location"] == (
        f"https://web.demo.secure.shoal.test:{caddy.tls_port}/a?b=1"
    )
    assert (await kit.get("web.demo.plain.shoal.test")).status_code == 200
    # A name Shoal does not route gets no certificate at all.
    with pytest.raises(ssl.SSLError):
        await _https_get(caddy.tls_port, "web.other.secure.shoal.test")
