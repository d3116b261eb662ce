"""Who may open a deployment's URLs, in headless Chromium through the real Caddy and the real
control plane (uvicorn): an anonymous visitor is sent to Shoal's sign-in and back, a user
without a grant gets the 403 page, and a share link opens the deployment in a fresh context
without an account until it is revoked.

Hosts are under `localhost` (web.demo.qa.localhost), which Chromium resolves to 127.0.0.1 by
itself, so no DNS or resolver flags are needed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import msgspec
import pytest

from core.actor import Actor
from core.ingress import options_from
from core.ingress.caddy import CaddyAdmin
from core.ingress.syncer import IngressSyncer
from core.services import accounts, share_links, teams
from core.tables import Deployment, Environment
from shoaltest.db import insert_row
from shoaltest.keys import ensure_key
from shoaltest.served import served

pytestmark = pytest.mark.docker

ADMIN = Actor(id=None, username="tests", is_admin=True)
PASSWORD = "qa-password-1"


@pytest.fixture
async def world(web_app, db, caddy, kit, httpd) -> AsyncIterator[dict]:
    ensure_key()
    env = await insert_row(Environment(name="qa", base_domain="localhost", url_access="signed-in"))
    node = await kit.add_node(env)
    deployment = await insert_row(
        Deployment(environment=env, node=node, name="demo", status="running", ports={"web": httpd})
    )
    qa = await accounts.create_user(ADMIN, username="qa", password=PASSWORD)
    team = await teams.create_team(ADMIN, "qa-team")
    await teams.add_member(ADMIN, team.id, qa.id)
    await teams.grant(ADMIN, team.id, "environment", env, "read")
    await accounts.create_user(ADMIN, username="outsider", password=PASSWORD)
    settings = web_app.state.settings
    async with served(web_app) as base:
        # Sign-in redirects go to Shoal's public URL: here, where uvicorn serves the app.
        web_app.state.settings = msgspec.structs.replace(settings, public_url=base)
        options = msgspec.structs.replace(
            options_from(caddy.settings()), control_plane=base.removeprefix("http://")
        )
        syncer = IngressSyncer(CaddyAdmin(caddy.admin_url, timeout=5), options, owns_caddy=True)
        try:
            await syncer.sync_now()
            assert syncer.status.last_error == ""
            yield {
                "base": base,
                "url": f"http://web.demo.qa.localhost:{caddy.ingress_port}/",
                "deployment": deployment,
            }
        finally:
            web_app.state.settings = settings
            await syncer.stop()


async def _sign_in_on_shoal(page, username: str) -> None:
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.click("button[type=submit]")


async def test_anonymous_visitor_signs_in_and_comes_back(browser, world):
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(world["url"] + "index.html")
        assert page.url.startswith(f"{world['base']}/login?next=")
        await _sign_in_on_shoal(page, "qa")
        await page.wait_for_url(world["url"] + "index.html")
        assert "shoal busybox" in await page.content()
        cookies = {c["name"]: c for c in await context.cookies(world["url"])}
        ingress = cookies["shoal_ingress"]
        assert ingress["domain"] == "web.demo.qa.localhost"  # host-only
        assert ingress["httpOnly"] and ingress["sameSite"] == "Lax"
        assert "shoal_session" not in cookies  # Shoal's own session stays on Shoal's host
        assert await page.evaluate("document.cookie") == ""
    finally:
        await context.close()


async def test_user_without_a_grant_gets_the_403_page(browser, world):
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(world["url"])
        await _sign_in_on_shoal(page, "outsider")
        await page.wait_for_load_state()
        assert "None of your teams has access to deployment demo" in await page.content()
        assert "shoal busybox" not in await page.content()
    finally:
        await context.close()


async def test_share_link_opens_in_a_fresh_context_and_stops_after_revoke(browser, world):
    link, token = await share_links.create_link(ADMIN, world["deployment"])
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{world['url']}.shoal/share?t={token}")
        assert page.url == world["url"]
        assert "shoal busybox" in await page.content()
        await share_links.revoke_link(ADMIN, world["deployment"], link.id)
        started = time.monotonic()
        while True:
            # A new query each time: the browser may show its cached copy of a URL it has.
            await page.goto(f"{world['url']}?attempt={time.monotonic_ns()}")
            if page.url.startswith(f"{world['base']}/login"):
                break
            assert time.monotonic() - started < 10, "the revoked link still opens the URL"
            await asyncio.sleep(0.5)
        again = await page.goto(f"{world['url']}.shoal/share?t={token}")
        assert again.status == 403
    finally:
        await context.close()
