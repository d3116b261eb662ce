"""Fixture `oidc_provider`: a real OpenID provider process (`oidc-provider-mock`, the PyPI
package) on a loopback port, requiring a nonce, for the single sign-on tests.

Its HTTP API sets a user's claims (`PUT /users/<sub>`, e.g. {"groups": [...]}); its
authorization page signs in whoever's `sub` is posted to it (`authorize`). It is stopped by
pid at the end of the session.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shoaltest.ports import free_port

BINARY = Path(sys.executable).parent / "oidc-provider-mock"


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen

    def set_user(self, sub: str, **claims: object) -> None:
        """Replace the claims the provider puts in `sub`'s tokens (groups included)."""
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10)
        response.raise_for_status()

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Sign `sub` in on the provider's page; the callback URL it redirects back to."""
        with httpx.Client(timeout=10) as http:
            assert http.get(authorization_url).status_code == 200
            response = http.post(authorization_url, data={"sub": sub})
        assert response.status_code == 302, response.text[:500]
        return response.headers["location"]

    def setting(self, name: str = "mock", **extra: str) -> dict[str, str]:
        """An `oidc_providers` entry for this provider."""
        return {
            "name": name,
            "issuer": self.issuer,
            "client_id": "shoal-tests",
            "client_secret": "mock-secret",
            "display_name": "Mock SSO",
            **extra,
        }


def start_provider(log_dir: Path) -> OidcProvider:
    port = free_port()
    log = (log_dir / "oidc-provider.log").open("wb")
    process = subprocess.Popen(
        [str(BINARY), "--port", str(port), "--require-nonce", "true"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oidc-provider-mock exited: see {log_dir}/oidc-provider.log")
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).is_success:
                return OidcProvider(issuer, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("oidc-provider-mock did not answer within 60 s")


def stop_provider(provider: OidcProvider) -> None:
    provider.process.send_signal(signal.SIGTERM)
    try:
        provider.process.wait(10)
    except subprocess.TimeoutExpired:
        provider.process.kill()
        provider.process.wait(5)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    with tempfile.TemporaryDirectory(prefix="shoal-oidc-") as tmp:
        provider = start_provider(Path(tmp))
        try:
            yield provider
        finally:
            stop_provider(provider)
