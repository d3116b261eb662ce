"""A new password ends the sessions that knew the old one (real app and database)."""

from __future__ import annotations

import httpx

from core.actor import Actor
from core.services import accounts
from shoaltest.web import ADMIN_PASSWORD, WebClient, api_client


def browser(web_app) -> WebClient:
    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    return WebClient(transport=transport, base_url="http://testserver")


async def qa_user(admin) -> accounts.UserView:
    actor = Actor(id=admin.id, username="admin", is_admin=True)
    return await accounts.create_user(actor, username="qa", password="qa-password-1")


async def test_changing_your_password_ends_your_other_sessions_only(web_app, admin):
    await qa_user(admin)
    async with browser(web_app) as laptop, browser(web_app) as phone, browser(web_app) as other:
        for client, (name, password) in (
            (laptop, ("qa", "qa-password-1")),
            (phone, ("qa", "qa-password-1")),
            (other, ("admin", ADMIN_PASSWORD)),
        ):
            assert (await client.login(name, password)).status_code == 303
            assert (await client.get("/account")).status_code == 200  # remembered now
        changed = await laptop.form(
            "/account/password",
            {"current_password": "qa-password-1", "new_password": "qa-password-2"},
        )
        assert changed.status_code == 303
        assert (await laptop.get("/account")).status_code == 200
        assert (await phone.get("/account")).status_code == 302
        assert (await other.get("/account")).status_code == 200  # someone else's session
        assert (await phone.login("qa", "qa-password-2")).status_code == 303


async def test_a_refused_change_ends_no_session(web_app, admin):
    await qa_user(admin)
    async with browser(web_app) as laptop, browser(web_app) as phone:
        for client in (laptop, phone):
            assert (await client.login("qa", "qa-password-1")).status_code == 303
        refused = await laptop.form(
            "/account/password", {"current_password": "wrong-one", "new_password": "qa-pw-3333"}
        )
        assert refused.status_code == 422 and "current password is not right" in refused.text
        assert (await phone.get("/account")).status_code == 200


async def test_an_admin_reset_ends_every_session_of_that_user(web_app, admin):
    user = await qa_user(admin)
    async with browser(web_app) as laptop, browser(web_app) as phone:
        for client in (laptop, phone):
            assert (await client.login("qa", "qa-password-1")).status_code == 303
            assert (await client.get("/account")).status_code == 200
        async with await api_client(web_app, admin) as api:
            reset = await api.post(
                f"/api/v1/users/{user.id}/reset-password", json={"password": "qa-password-9"}
            )
            assert reset.status_code in (200, 201)
            assert (await api.get("/api/v1/me")).status_code == 200  # the admin stays in
        for client in (laptop, phone):
            assert (await client.get("/account")).status_code == 302
