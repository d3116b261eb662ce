"""WebSockets to a deployment outlive route changes (Caddy 2.7+ `stream_close_delay`), and an
older Caddy that refuses the setting (Debian's 2.6) still gets its routes."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from core.ingress.caddy import CaddyAdmin
from core.ingress.config import CLOSE_DELAY, IngressOptions
from core.ingress.process import CaddyProcess
from core.ingress.syncer import IngressSyncer
from core.tables import Deployment
from shoaltest.ports import quiet_ports

pytestmark = pytest.mark.docker


async def _echo(connection: ServerConnection) -> None:
    async for message in connection:
        await connection.send(message)


@pytest.fixture
async def echo_upstream() -> AsyncIterator[int]:
    async with serve(_echo, "127.0.0.1", 0) as server:
        yield next(iter(server.sockets)).getsockname()[1]


async def test_websocket_survives_ten_deployments_created_and_deleted(
    db, caddy, kit, httpd, echo_upstream, make_syncer
):
    assert caddy.process.version is not None and caddy.process.version >= (2, 7)
    env = await kit.add_environment()
    node = await kit.add_node(env)
    await kit.add_deployment(env, node, "live", {"echo": echo_upstream})
    syncer = make_syncer(owns_caddy=True)
    await syncer.sync_now()
    loads = syncer.status.loads
    uri = f"ws://echo.live.qa.shoal.test:{caddy.ingress_port}/"
    async with connect(uri, host="127.0.0.1", port=caddy.ingress_port, open_timeout=10) as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"
        for index in range(10):
            other = await kit.add_deployment(env, node, f"churn-{index}", {"web": httpd})
            await syncer.sync_now()
            assert await kit.status_is(f"web.churn-{index}.qa.shoal.test", 200)
            await Deployment.delete().where(Deployment.id == other)
            await syncer.sync_now()
            assert await kit.status_is(f"web.churn-{index}.qa.shoal.test", 404)
            await ws.send(f"still here {index}")
            assert await ws.recv() == f"still here {index}"
    assert syncer.status.loads == loads + 20


async def test_a_caddy_older_than_2_7_gets_its_routes_without_the_close_delay(db, kit, httpd):
    """Debian's package (build/deps.sh installs it for this test)."""
    with tempfile.TemporaryDirectory(prefix="shoal-test-caddy26-") as tmp:
        old = CaddyProcess(Path(tmp), admin_port=quiet_ports(), binary="/usr/bin/caddy")
        assert old.version is not None and old.version < (2, 7)
        await old.start()
        port = quiet_ports()
        # An operator's own Caddy: Shoal does not know its version until it refuses the field.
        syncer = IngressSyncer(
            CaddyAdmin(old.admin_url, timeout=5),
            IngressOptions(
                listen=f"127.0.0.1:{port}", tls_listen=f"127.0.0.1:{port + 1}", public_url="x"
            ),
            owns_caddy=False,
        )
        try:
            env = await kit.add_environment()
            await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": httpd})
            assert syncer.options.stream_close_delay == CLOSE_DELAY
            status = await syncer.sync_now()
            assert (status.reachable, status.last_error) == (True, "")
            assert syncer.options.stream_close_delay == ""
            response = await kit.through_caddy(port, "web.demo.qa.shoal.test")
            assert response.status_code == 200
        finally:
            await syncer.stop()
            await old.stop()
