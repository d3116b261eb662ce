"""Real Caddy, real PostgreSQL, a real busybox httpd: hosts route, pages explain failures."""

from __future__ import annotations

import pytest

from core.tables import Node

pytestmark = pytest.mark.docker


async def test_running_deployment_is_reached_by_its_host(db, caddy, kit, httpd, make_syncer):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    await kit.add_deployment(env, node, "demo", {"web": httpd})
    status = await make_syncer().sync_now()
    assert status.last_error == ""
    assert (status.route_count, status.routed_count, status.reachable) == (1, 1, True)

    response = await kit.get("web.demo.qa.shoal.test")
    assert response.status_code == 200
    assert response.text.strip() == "shoal busybox"
    with_port = await kit.get(f"web.demo.qa.shoal.test:{caddy.ingress_port}")
    assert with_port.status_code == 200


async def test_unknown_host_gets_a_plain_404(db, caddy, kit, httpd, make_syncer):
    env = await kit.add_environment()
    await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": httpd})
    await make_syncer().sync_now()
    for host in ("api.demo.qa.shoal.test", "nothing.example.org", "127.0.0.1"):
        response = await kit.get(host)
        assert response.status_code == 404, host
        assert "No Shoal deployment answers at this address" in response.text
        assert "demo" not in response.text


async def test_offline_node_shows_the_friendly_page_naming_the_deployment(
    db, caddy, kit, httpd, make_syncer
):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    deployment = await kit.add_deployment(env, node, "checkout", {"web": httpd})
    syncer = make_syncer()
    await syncer.start()
    host = "web.checkout.qa.shoal.test"
    await kit.wait_for(lambda: kit.status_is(host, 200))

    await Node.update({Node.status: "offline"}).where(Node.id == node).run()
    syncer.request_sync()
    await kit.wait_for(lambda: kit.status_is(host, 503))
    page = (await kit.get(host)).text
    assert "Deployment <b>checkout</b> is offline" in page
    assert f'href="http://shoal.test:8000/deployments/{deployment}"' in page
    assert syncer.status.route_count == 1 and syncer.status.routed_count == 0


async def test_service_that_does_not_answer_shows_the_friendly_page(db, caddy, kit, make_syncer):
    from core.ingress.process import free_loopback_port

    env = await kit.add_environment()
    deployment = await kit.add_deployment(
        env, await kit.add_node(env), "broken", {"api": free_loopback_port()}
    )
    await make_syncer().sync_now()
    response = await kit.get("api.broken.qa.shoal.test")
    assert response.status_code == 502
    assert "Deployment <b>broken</b> is not answering" in response.text
    assert f"/deployments/{deployment}" in response.text


async def test_only_running_and_offline_deployments_have_hosts(db, caddy, kit, httpd, make_syncer):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    await kit.add_deployment(env, node, "old", {"web": httpd}, status="deleted")
    await kit.add_deployment(env, node, "bad", {"web": httpd}, status="failed")
    await kit.add_deployment(env, node, "away", {"web": httpd}, status="offline")
    status = await make_syncer().sync_now()
    assert (status.route_count, status.routed_count) == (1, 0)
    assert (await kit.get("web.old.qa.shoal.test")).status_code == 404
    assert (await kit.get("web.away.qa.shoal.test")).status_code == 503


async def test_recreated_deployment_keeps_its_url(db, caddy, kit, httpd, make_syncer):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    first = await kit.add_deployment(env, node, "stable", {"web": httpd})
    syncer = make_syncer()
    await syncer.sync_now()
    from core.tables import Deployment

    await Deployment.update({Deployment.status: "deleted"}).where(Deployment.id == first).run()
    await syncer.sync_now()
    assert (await kit.get("web.stable.qa.shoal.test")).status_code == 404
    await kit.add_deployment(env, node, "stable", {"web": httpd})
    await syncer.sync_now()
    assert (await kit.get("web.stable.qa.shoal.test")).status_code == 200


async def test_odd_ports_in_the_database_are_skipped_not_fatal(db, caddy, kit, httpd, make_syncer):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    await kit.add_deployment(env, node, "listy", [1, 2])
    await kit.add_deployment(env, node, "mixed", {"web": httpd, "bad": "x", "Upper": httpd})
    status = await make_syncer().sync_now()
    assert status.last_error == ""
    assert status.route_count == 1
    assert len(status.skipped) == 2
    assert (await kit.get("web.mixed.qa.shoal.test")).status_code == 200
