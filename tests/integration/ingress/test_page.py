"""The admin "Ingress" page through the real app: status, routes, sync now, admins only."""

from __future__ import annotations

import pytest

from core import ingress
from shoaltest.web import ADMIN_PASSWORD


@pytest.fixture
async def running_ingress(caddy):
    syncer = await ingress.start(caddy.settings(), check_interval=60)
    try:
        yield syncer
    finally:
        await ingress.stop()


@pytest.mark.docker
async def test_page_shows_status_and_routes_and_syncs(client, admin, kit, httpd, running_ingress):
    env = await kit.add_environment()
    node = await kit.add_node(env)
    deployment = await kit.add_deployment(env, node, "demo", {"web": httpd})
    await kit.add_deployment(env, None, "away", {"web": httpd}, status="offline")
    await client.login("admin", ADMIN_PASSWORD)
    synced = await client.form("/ingress/sync", {})
    assert synced.status_code == 303
    page = await client.page("/ingress/")
    assert page.status_code == 200
    assert "reachable" in page.text
    assert "2 (1 routed, 1 showing the offline page)" in page.text
    assert f'href="/deployments/{deployment}">demo</a>' in page.text
    assert f"http://web.demo.qa.shoal.test:{running_ingress.options.listen.split(':')[1]}" in (
        page.text
    )
    assert "node offline" in page.text
    card = await client.get("/ingress/status", headers={"HX-Request": "true"})
    assert card.status_code == 200 and 'id="ingress-status"' in card.text


async def test_page_says_when_there_is_no_ingress(client, admin):
    await ingress.stop()
    await client.login("admin", ADMIN_PASSWORD)
    page = await client.page("/ingress/")
    assert "down" in page.text and "not configured" in page.text
    synced = await client.form("/ingress/sync", {})
    assert synced.status_code == 303
    assert "not configured" in (await client.page("/ingress/")).text


async def test_page_is_for_admins_only(client, admin):
    from core.actor import Actor
    from core.services import accounts

    await accounts.create_user(
        Actor.system("tests"), username="qa", password="qa-password-1", is_admin=False
    )
    await client.login("qa", "qa-password-1")
    assert (await client.get("/ingress/")).status_code in (403, 404)
