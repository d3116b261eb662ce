"""Failed sign-ins under load and from many places: the server stays responsive, a lock-out
holds one user at one address only, and a forged X-Forwarded-For is believed only from a
configured proxy."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core import crypto
from core.actor import Actor
from core.services import accounts
from shoaltest.agent import REPO
from shoaltest.hub import until
from shoaltest.ports import free_port
from shoaltest.served import served
from shoaltest.web import ADMIN_PASSWORD, WebClient


def client_from(web_app, address: str) -> WebClient:
    transport = httpx.ASGITransport(app=web_app, client=(address, 40000))  # type: ignore[arg-type]
    return WebClient(transport=transport, base_url="http://testserver")


async def test_health_stays_fast_during_parallel_failed_logins(web_app, admin):
    async with served(web_app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            login_page = await http.get("/login")
            csrf = login_page.cookies["shoal_csrf"]

            async def fail(i: int) -> int:
                body = {"username": f"nobody{i}", "password": "wrong", "csrf_token": csrf}
                return (await http.post("/login", data=body)).status_code

            async def probe() -> float:
                started = time.monotonic()
                assert (await http.get("/health/live")).status_code == 200
                return time.monotonic() - started

            logins = [asyncio.create_task(fail(i)) for i in range(12)]
            await asyncio.sleep(0.05)  # the verifications are under way
            probes = []
            while not all(task.done() for task in logins):
                probes.append(await probe())
                await asyncio.sleep(0.05)
            codes = await asyncio.gather(*logins)
    assert set(codes) <= {400, 429}
    assert probes and max(probes) < 0.5, probes


async def test_lock_out_holds_one_user_at_one_address_only(web_app, admin):
    async with client_from(web_app, "10.20.0.1") as a, client_from(web_app, "10.20.0.2") as b:
        for _ in range(5):
            assert (await a.login("admin", "wrong-password")).status_code == 400
        assert (await a.login("admin", ADMIN_PASSWORD)).status_code == 429
        assert (await b.login("admin", ADMIN_PASSWORD)).status_code == 303
        # a success elsewhere does not wipe the record of address A's failures
        assert (await a.login("admin", ADMIN_PASSWORD)).status_code == 429


async def test_other_users_at_the_locked_out_address_still_sign_in(web_app, admin):
    await accounts.create_user(
        Actor(id=admin.id, username="admin", is_admin=True),
        username="qa",
        password="qa-password-1",
    )
    async with client_from(web_app, "10.20.0.3") as a:
        for _ in range(5):
            assert (await a.login("admin", "wrong-password")).status_code == 400
        assert (await a.login("qa", "qa-password-1")).status_code == 303


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(web_app, admin):
    async with client_from(web_app, "10.30.0.1") as peer:
        for i in range(5):
            peer.headers["X-Forwarded-For"] = f"198.51.100.{i}"
            assert (await peer.login("admin", "wrong-password")).status_code == 400
        peer.headers["X-Forwarded-For"] = "198.51.100.99"
        assert (await peer.login("admin", ADMIN_PASSWORD)).status_code == 429


async def test_forwarded_for_from_a_trusted_proxy_names_the_client(web_app, admin, settings_of):
    settings_of(trusted_proxies="10.40.0.0/24, 127.0.0.1")
    async with client_from(web_app, "10.40.0.7") as proxy:
        proxy.headers["X-Forwarded-For"] = "203.0.113.5"
        for _ in range(5):
            assert (await proxy.login("admin", "wrong-password")).status_code == 400
        assert (await proxy.login("admin", ADMIN_PASSWORD)).status_code == 429
        # A client cannot pick its address by prepending to the header: the proxy appends the
        # address it saw, and that right-most untrusted entry is the one believed.
        proxy.headers["X-Forwarded-For"] = "203.0.113.6, 203.0.113.5"
        assert (await proxy.login("admin", ADMIN_PASSWORD)).status_code == 429
        proxy.headers["X-Forwarded-For"] = "203.0.113.5, 203.0.113.6"
        assert (await proxy.login("admin", ADMIN_PASSWORD)).status_code == 303


def start_serve(dsn: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "SHOAL_DATABASE_URL": dsn,
        "SHOAL_SECRET_KEY": crypto.encode_key(crypto.generate_key()),
        "SHOAL_BIND": f"127.0.0.1:{port}",
        "SHOAL_CADDY_ADMIN": "",
        "SHOAL_LOCAL_AGENT": "false",
        "SHOAL_HUB_ROLE": "follower",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--no-worker"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_shoal_serve_ignores_forwarded_for_from_loopback(db, admin, tmp_path):
    """`shoal serve` itself, not only the app: its HTTP server must not rewrite the client
    address from X-Forwarded-For either (uvicorn does so by default for 127.0.0.1)."""
    port, log = free_port(), tmp_path / "serve.log"
    process = start_serve(db, port, log)
    try:
        async with WebClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

            async def live() -> bool:
                try:
                    return (await http.get("/health/live")).status_code == 200
                except httpx.HTTPError:
                    return False

            await until(live, 30, every=0.2)
            for i in range(5):
                http.headers["X-Forwarded-For"] = f"198.51.100.{i}"
                assert (await http.login("admin", "wrong-password")).status_code == 400
            http.headers["X-Forwarded-For"] = "198.51.100.99"
            assert (await http.login("admin", ADMIN_PASSWORD)).status_code == 429
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-3000:]


async def test_forwarded_proto_counts_only_from_a_trusted_proxy(web_app, settings_of):
    """Behind a TLS-terminating proxy the cookies must still be `Secure`."""
    settings_of(trusted_proxies="10.40.0.0/24")
    cookies = {}
    for peer in ("10.40.0.7", "10.50.0.1"):
        async with client_from(web_app, peer) as client:
            client.headers["X-Forwarded-Proto"] = "https"
            cookies[peer] = (await client.get("/login")).headers["set-cookie"]
    assert "shoal_csrf=" in cookies["10.40.0.7"] and "shoal_csrf=" in cookies["10.50.0.1"]
    assert "Secure" in cookies["10.40.0.7"] and "Secure" not in cookies["10.50.0.1"]
