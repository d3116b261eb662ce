"""What the web process builds at start (core/runtime.py) belongs to the app, not to a module:
a test swaps it on `app.state` for itself and puts it back, with no global to reset."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import httpx

from core.domain.login import LoginLimits, PasswordLogin
from core.runtime import Runtime
from core.settings import Settings
from core.tables import Session
from shoaltest.web import ADMIN_PASSWORD, WebClient


def test_the_runtime_is_made_from_the_settings():
    assert Runtime.from_settings(Settings(session_hours=3)).session_lifetime == timedelta(hours=3)
    made = Runtime.from_settings(Settings(password_login=False, break_glass_admin=" Root "))
    assert made.password_login == PasswordLogin(enabled=False, break_glass_admin="root")
    assert made.password_login.allows("ROOT") and not made.password_login.allows("qa")


async def test_a_sign_in_lasts_as_long_as_the_apps_runtime_says(web_app, admin):
    original = web_app.state.runtime
    web_app.state.runtime = dataclasses.replace(original, session_lifetime=timedelta(hours=2))
    try:
        transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
        async with WebClient(transport=transport, base_url="http://testserver") as client:
            await client.page("/login")
            signed_in = await client.form(
                "/login", {"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert signed_in.status_code == 303
            assert "Max-Age=7200" in signed_in.headers["set-cookie"]
            row = await Session.select(Session.expires_at).first().run()
            left = row["expires_at"] - datetime.now(UTC)
            assert timedelta(hours=1, minutes=50) < left <= timedelta(hours=2)
            # The session works, and using it keeps the app's lifetime (no slide to 12 h).
            assert (await client.get("/account")).status_code == 200
            row = await Session.select(Session.expires_at).first().run()
            assert row["expires_at"] - datetime.now(UTC) <= timedelta(hours=2)
    finally:
        web_app.state.runtime = original


async def test_sign_in_throttling_follows_the_apps_runtime(web_app, admin):
    original = web_app.state.runtime
    strict = LoginLimits(max_failures=1, window=timedelta(minutes=3))
    web_app.state.runtime = dataclasses.replace(original, login_limits=strict)
    try:
        transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
        async with WebClient(transport=transport, base_url="http://testserver") as client:
            assert (await client.login("admin", "wrong password")).status_code == 400
            refused = await client.login("admin", ADMIN_PASSWORD)
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "180"
    finally:
        web_app.state.runtime = original
