"""Who may open a deployment's URLs, through the real Caddy, the real control plane (served by
uvicorn) and a real busybox httpd: signed-in (sign-in round trip, a removed grant, an open
redirect attempt), the bypass token, the password page, share links, and the control plane down.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import msgspec
import pytest

from core.actor import Actor
from core.ingress import options_from
from core.ingress.caddy import CaddyAdmin
from core.ingress.syncer import IngressSyncer
from core.services import accounts, share_links, teams, url_keys
from core.tables import AuditEvent, Deployment, Environment
from shoaltest.keys import ensure_key
from shoaltest.served import served
from shoaltest.web import WebClient

pytestmark = pytest.mark.docker

ADMIN = Actor(id=None, username="tests", is_admin=True)
PASSWORD = "qa-password-1"
HOST = "web.demo.qa.shoal.test"


@dataclass
class Guarded:
    base: str
    port: int
    syncer: IngressSyncer

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
async def guarded(web_app, db, caddy) -> AsyncIterator[Guarded]:
    ensure_key()
    async with served(web_app) as base:
        options = msgspec.structs.replace(
            options_from(caddy.settings()), control_plane=base.removeprefix("http://")
        )
        syncer = IngressSyncer(CaddyAdmin(caddy.admin_url, timeout=5), options, owns_caddy=True)
        try:
            yield Guarded(base=base, port=caddy.ingress_port, syncer=syncer)
        finally:
            await syncer.stop()


async def _world(kit, httpd, policy: str) -> tuple[int, int]:
    env = await kit.add_environment()
    await Environment.update({Environment.url_access: policy}).where(Environment.id == env)
    deployment = await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": httpd})
    return env, deployment


async def _via_caddy(
    port: int, path: str = "/", *, headers: dict | None = None, cookie: str = ""
) -> httpx.Response:
    """One request on a fresh connection, as a visitor's browser would send it to Caddy."""
    sent = {"Host": f"{HOST}:{port}", **(headers or {})}
    if cookie:
        sent["Cookie"] = f"shoal_ingress={cookie}"
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"http://127.0.0.1:{port}{path}", headers=sent)


async def _until(check, seconds: float = 12.0):
    started = time.monotonic()
    while True:
        result = await check()
        if result:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, "not within the time allowed"
        await asyncio.sleep(0.25)


async def _user_with_grant(env: int, name: str) -> tuple[accounts.UserView, int]:
    user = await accounts.create_user(ADMIN, username=name, password=PASSWORD)
    team = await teams.create_team(ADMIN, f"{name}-team")
    await teams.add_member(ADMIN, team.id, user.id)
    grant = await teams.grant(ADMIN, team.id, "environment", env, "read")
    return user, grant.id


async def test_signed_in_round_trip_grant_removal_and_open_redirects(guarded, web_app, kit, httpd):
    env, deployment = await _world(kit, httpd, "signed-in")
    await guarded.syncer.sync_now()
    assert guarded.syncer.status.last_error == ""

    anonymous = await _via_caddy(guarded.port, "/index.html?x=1")
    assert anonymous.status_code == 302
    back = f"http://{HOST}:{guarded.port}/index.html?x=1"
    assert anonymous.headers["location"].endswith(f"/ingress-auth/signin?to={quote(back, safe='')}")

    _, grant_id = await _user_with_grant(env, "qa")
    async with WebClient(base_url=guarded.base, timeout=10) as shoal:
        signin_path = urlsplit(anonymous.headers["location"])
        first = await shoal.get(f"{signin_path.path}?{signin_path.query}")
        assert first.status_code == 303 and first.headers["location"].startswith("/login?next=")
        assert (await shoal.login("qa", PASSWORD)).status_code == 303
        sent_back = await shoal.get(f"{signin_path.path}?{signin_path.query}")
        # A page that moves on by itself (Shoal's CSP stops a form's cross-origin redirects).
        assert sent_back.status_code == 200
        href = re.search(r'id="continue" href="([^"]+)"', sent_back.text).group(1)
        code_url = urlsplit(html.unescape(href))
        assert code_url.netloc == f"{HOST}:{guarded.port}" and code_url.path == "/.shoal/auth"
        assert parse_qs(code_url.query)["to"] == ["/index.html?x=1"]

        # Open redirects: only deployment addresses are accepted.
        for evil in (
            "http://evil.example/",
            f"http://{HOST}.evil.example/",
            "/ingress",
            "javascript:alert(1)",
        ):
            refused = await shoal.get("/ingress-auth/signin", params={"to": evil})
            assert refused.status_code == 400, evil

    exchanged = await _via_caddy(guarded.port, f"{code_url.path}?{code_url.query}")
    assert exchanged.status_code == 303 and exchanged.headers["location"] == "/index.html?x=1"
    set_cookie = exchanged.headers["set-cookie"]
    assert set_cookie.startswith("shoal_ingress=")
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie.replace("Lax", "lax")
    assert "Domain" not in set_cookie and "shoal_session" not in set_cookie
    cookie = re.match(r"shoal_ingress=([^;]+)", set_cookie).group(1)

    again = await _via_caddy(guarded.port, f"{code_url.path}?{code_url.query}")
    assert again.status_code == 403  # a code works once
    evil_to = await _via_caddy(
        guarded.port, f"/.shoal/auth?code=forged&to={quote('//evil.example/')}"
    )
    assert evil_to.status_code == 403

    opened = await _via_caddy(guarded.port, "/", cookie=cookie)
    assert opened.status_code == 200 and "shoal busybox" in opened.text
    # A header the visitor sends cannot point the check at another deployment.
    spoofed = await _via_caddy(
        guarded.port,
        "/",
        headers={"X-Shoal-Deployment": str(deployment + 1)},
        cookie=cookie,
    )
    assert spoofed.status_code == 200

    await teams.revoke_grant(ADMIN, grant_id)

    async def closed() -> bool:
        response = await _via_caddy(guarded.port, "/", cookie=cookie)
        return response.status_code == 403 and "none of your teams" in response.text

    assert await _until(closed, seconds=10.0) <= 10.0


async def test_signed_in_user_without_a_grant_gets_a_403_page(guarded, kit, httpd):
    await _world(kit, httpd, "signed-in")
    await guarded.syncer.sync_now()
    await accounts.create_user(ADMIN, username="outsider", password=PASSWORD)
    async with WebClient(base_url=guarded.base, timeout=10) as shoal:
        assert (await shoal.login("outsider", PASSWORD)).status_code == 303
        refused = await shoal.get(
            "/ingress-auth/signin", params={"to": f"http://{HOST}:{guarded.port}/"}
        )
    assert refused.status_code == 403 and "demo" in refused.text


async def test_public_hosts_are_not_asked_about(guarded, kit, httpd):
    await _world(kit, httpd, "public")
    await guarded.syncer.sync_now()
    assert (await _via_caddy(guarded.port)).status_code == 200


async def test_bypass_token_by_header_or_query_and_its_rotation(guarded, kit, httpd):
    _, deployment = await _world(kit, httpd, "signed-in")
    await guarded.syncer.sync_now()
    token = (await url_keys.reveal(ADMIN, deployment)).bypass_token
    assert (await _via_caddy(guarded.port, headers={"X-Shoal-Bypass": token})).status_code == 200
    assert (await _via_caddy(guarded.port, f"/?shoal_bypass={token}")).status_code == 200
    assert (await _via_caddy(guarded.port, headers={"X-Shoal-Bypass": "nope"})).status_code == 302
    await url_keys.rotate(ADMIN, deployment, "bypass")
    assert (await _via_caddy(guarded.port, headers={"X-Shoal-Bypass": token})).status_code == 302


async def test_password_page(guarded, kit, httpd):
    _, deployment = await _world(kit, httpd, "password")
    await guarded.syncer.sync_now()
    password = (await url_keys.reveal(ADMIN, deployment)).password
    async with httpx.AsyncClient(
        base_url=guarded.url(), headers={"Host": f"{HOST}:{guarded.port}"}, timeout=10
    ) as visitor:
        first = await visitor.get("/app.html")
        assert first.status_code == 302
        assert first.headers["location"] == "/.shoal/password?to=%2Fapp.html"
        form = await visitor.get(first.headers["location"])
        assert form.status_code == 200 and 'name="password"' in form.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        wrong = await visitor.post(
            "/.shoal/password", data={"csrf_token": csrf, "password": "guess", "to": "/"}
        )
        assert wrong.status_code == 403 and "Wrong password" in wrong.text
        right = await visitor.post(
            "/.shoal/password", data={"csrf_token": csrf, "password": password, "to": "/"}
        )
        assert right.status_code == 303 and right.headers["location"] == "/"
        assert (await visitor.get("/")).status_code == 200
        await url_keys.rotate(ADMIN, deployment, "password")
        assert (await visitor.get("/")).status_code == 302  # password sessions end with it


async def test_share_links_open_stop_after_revoke_and_never_open_a_namesake(guarded, kit, httpd):
    env, deployment = await _world(kit, httpd, "signed-in")
    await guarded.syncer.sync_now()
    link, token = await share_links.create_link(ADMIN, deployment)
    assert link.active and link.uses == 0

    async def visit(path: str, cookie: str = "") -> httpx.Response:
        return await _via_caddy(guarded.port, path, cookie=cookie)

    forged = await visit("/.shoal/share?t=shs_forged")
    assert forged.status_code == 403 and "not valid" in forged.text
    used = await visit(f"/.shoal/share?t={token}")
    assert used.status_code == 303
    cookie = used.cookies["shoal_ingress"]
    assert (await visit("/", cookie)).status_code == 200
    [listed] = await share_links.list_links(ADMIN, deployment)
    assert listed.uses == 1

    await share_links.revoke_link(ADMIN, deployment, link.id)

    async def stopped() -> bool:
        return (await visit("/", cookie)).status_code == 302

    assert await _until(stopped, seconds=10.0) <= 10.0
    assert (await visit(f"/.shoal/share?t={token}")).status_code == 403
    uses = await AuditEvent.select(
        AuditEvent.action, AuditEvent.outcome, AuditEvent.detail, AuditEvent.target_id
    ).where(AuditEvent.action == "deployment.share_link.use")
    assert [(u["outcome"], u["detail"], u["target_id"]) for u in uses] == [
        ("ok", f"share link #{link.id}", deployment),
        ("refused", f"share link #{link.id}: revoked", deployment),
    ]  # the forged token named no link: nothing to record
    everything = repr(await AuditEvent.select().run())
    assert token not in everything and cookie not in everything

    # Deleted, and the name used again: the old link does not open the new deployment.
    _, other_token = await share_links.create_link(ADMIN, deployment)
    await Deployment.update({Deployment.status: "deleted"}).where(Deployment.id == deployment)
    row = await Deployment.select(Deployment.node).where(Deployment.id == deployment).first()
    namesake = await kit.add_deployment(env, row["node"], "demo", {"web": httpd})
    await guarded.syncer.sync_now()
    assert (await visit(f"/.shoal/share?t={other_token}")).status_code == 403
    assert (await visit("/")).status_code == 302
    assert namesake != deployment


async def test_control_plane_down_answers_503_and_never_opens(web_app, db, caddy, kit, httpd):
    await _world(kit, httpd, "signed-in")
    async with served(web_app) as base:
        gone_port = int(base.rsplit(":", 1)[1])
    options = msgspec.structs.replace(
        options_from(caddy.settings()), control_plane=f"127.0.0.1:{gone_port}"
    )
    syncer = IngressSyncer(CaddyAdmin(caddy.admin_url, timeout=5), options, owns_caddy=True)
    try:
        await syncer.sync_now()
        for path in ("/", "/.shoal/share?t=x"):
            response = await _via_caddy(caddy.ingress_port, path)
            assert response.status_code == 503, path
            assert "Sign-in is unavailable" in response.text
            assert "shoal busybox" not in response.text
    finally:
        await syncer.stop()


async def _echo_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An upstream app that answers with the request headers it received."""
    request = await reader.readuntil(b"\r\n\r\n")
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(request), request)
    )
    await writer.drain()
    writer.close()


@pytest.mark.parametrize(
    "sent",
    [
        "shoal_ingress={c}; app=1",
        "app=1; shoal_ingress={c}",
        "app=1; shoal_ingress={c}; b=2",
        "shoal_csrf=csrf-value; app=1; shoal_ingress={c}",
    ],
)
async def test_the_app_never_sees_the_ingress_cookie_nor_the_bypass_token(guarded, kit, sent):
    server = await asyncio.start_server(_echo_headers, "127.0.0.1", 0)
    try:
        echo = server.sockets[0].getsockname()[1]
        env = await kit.add_environment()
        await Environment.update({Environment.url_access: "signed-in"}).where(Environment.id == env)
        deployment = await kit.add_deployment(env, await kit.add_node(env), "demo", {"web": echo})
        await guarded.syncer.sync_now()
        _, token = await share_links.create_link(ADMIN, deployment)
        cookie = (await _via_caddy(guarded.port, f"/.shoal/share?t={token}")).cookies[
            "shoal_ingress"
        ]
        bypass = (await url_keys.reveal(ADMIN, deployment)).bypass_token
        seen = await _via_caddy(
            guarded.port,
            headers={"Cookie": sent.format(c=cookie), "X-Shoal-Bypass": bypass},
        )
        assert seen.status_code == 200
        assert cookie not in seen.text and bypass not in seen.text
        assert "app=1" in seen.text and "shoal_ingress" not in seen.text
        assert "shoal_csrf" not in seen.text
    finally:
        server.close()
