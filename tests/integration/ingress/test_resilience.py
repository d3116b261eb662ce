"""Caddy crashing, refusing, being down; bursts of changes; what an operator's Caddy holds."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from core.ingress.config import IngressOptions
from core.ingress.process import free_loopback_port
from core.tables import Deployment

pytestmark = pytest.mark.docker


async def test_killed_and_restarted_caddy_gets_its_routes_back_unasked(
    db, caddy, kit, httpd, make_syncer
):
    env = await kit.add_environment()
    await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": httpd})
    syncer = make_syncer(check_interval=0.5, owns_caddy=True)
    await syncer.start()
    host = "web.demo.qa.shoal.test"
    await kit.wait_for(lambda: kit.status_is(host, 200))
    old_pid = caddy.pid
    caddy.kill()
    try:
        with pytest.raises(httpx.ConnectError):
            await kit.get(host)
        await kit.wait_for(lambda: _unreachable(syncer), seconds=5)
        await caddy.restart()
        assert caddy.pid != old_pid
        # Nothing calls the syncer: its periodic drift check must notice the empty config.
        took = await kit.wait_for(lambda: kit.status_is(host, 200), seconds=5)
    finally:
        await caddy.restart()
    assert took < 3
    assert syncer.status.reachable is True and syncer.status.last_error == ""


async def _unreachable(syncer) -> bool:
    return syncer.status.reachable is False and "unreachable" in syncer.status.last_error


async def test_sync_with_caddy_down_reports_and_keeps_running(db, kit, httpd, make_syncer):
    env = await kit.add_environment()
    await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": httpd})
    syncer = make_syncer(f"http://127.0.0.1:{free_loopback_port()}", check_interval=0.1)
    status = await syncer.sync_now()
    assert status.reachable is False
    assert "is unreachable" in status.last_error
    assert status.route_count == 1 and status.last_sync_at is None
    await syncer.start()
    syncer.request_sync()
    await asyncio.sleep(0.4)
    assert not syncer._task.done()  # the loop survived several failing passes
    assert status.last_error_at is not None


async def test_refused_config_keeps_the_old_one_serving(db, caddy, kit, httpd, make_syncer):
    env = await kit.add_environment()
    await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": httpd})
    await make_syncer().sync_now()
    broken = make_syncer()
    broken.options = IngressOptions(listen="127.0.0.1:notaport", tls_listen="", public_url="")
    status = await broken.sync_now()
    assert status.reachable is True
    assert status.last_error.startswith("Caddy refused POST /load (400)")
    assert (await kit.get("web.demo.qa.shoal.test")).status_code == 200


async def test_unchanged_config_is_not_reloaded(db, caddy, kit, httpd, make_syncer):
    env = await kit.add_environment(tls_mode="internal")
    node = await kit.add_node(env)
    await kit.add_deployment(env, node, "demo", {"web": httpd, "api": httpd})
    syncer = make_syncer()
    await syncer.sync_now()
    loads = syncer.status.loads
    for _ in range(3):
        await syncer.sync_now(check=True)  # reads Caddy's live config and compares
        await syncer.sync_now(check=False)
    assert syncer.status.loads == loads
    await Deployment.update({Deployment.status: "offline"}, force=True).run()
    await syncer.sync_now(check=False)
    assert syncer.status.loads == loads + 1


async def test_a_burst_of_requests_collapses_into_few_loads(db, kit, httpd, make_syncer):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    syncer = make_syncer(check_interval=60)
    await syncer.start()
    await kit.wait_for(lambda: _loaded(syncer, 0))
    loads = syncer.status.loads
    for index in range(40):
        await kit.add_deployment(env, node, f"d{index}", {"web": httpd})
        syncer.request_sync()
    await kit.wait_for(lambda: _loaded(syncer, 40))
    assert syncer.status.loads - loads <= 10  # one per insert without coalescing
    assert (await kit.get("web.d39.qa.shoal.test")).status_code == 200


async def test_requests_made_together_cost_one_load(db, kit, httpd, make_syncer):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    syncer = make_syncer(check_interval=60)
    await syncer.start()
    await kit.wait_for(lambda: _loaded(syncer, 0))
    loads = syncer.status.loads
    for index in range(20):
        await kit.add_deployment(env, node, f"d{index}", {"web": httpd})
    for _ in range(50):
        syncer.request_sync()
    await kit.wait_for(lambda: _loaded(syncer, 20))
    assert syncer.status.loads == loads + 1


async def _loaded(syncer, route_count: int) -> bool:
    await asyncio.sleep(0.05)
    return (
        syncer.status.route_count == route_count
        and syncer.status.last_sync_at is not None
        and not syncer._wanted.is_set()
        # route_count is set before the pass loads Caddy: wait for the pass to end too.
        and not syncer._lock.locked()
    )


async def test_an_operators_caddy_keeps_its_own_servers(db, caddy, kit, httpd, make_syncer):
    other_port = free_loopback_port()
    theirs = {
        "admin": {"listen": caddy.process.admin_url.removeprefix("http://")},
        "apps": {
            "http": {
                "servers": {
                    "theirs": {
                        "listen": [f"127.0.0.1:{other_port}"],
                        "routes": [{"handle": [{"handler": "static_response", "body": "theirs"}]}],
                    }
                }
            }
        },
    }
    syncer = make_syncer(owns_caddy=False)
    await syncer.admin.load(theirs)
    env = await kit.add_environment()
    await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": httpd})
    await syncer.sync_now(check=False)
    assert (await kit.get("web.demo.qa.shoal.test")).status_code == 200
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{other_port}/")).text == "theirs"
    live = await syncer.admin.get_config()
    assert set(live["apps"]["http"]["servers"]) == {"theirs", "shoal"}
    await syncer.admin.load({"admin": theirs["admin"]})
