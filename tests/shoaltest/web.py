"""Fixtures: the real Litestar app on the test database, and a cookie-keeping client for it.

`web_app` runs the app's lifespan once per session; `client` is a fresh httpx client per test
(own cookies) that speaks to the app in-process. `WebClient.login` goes through the real login
form (CSRF cookie included); `.form()` posts with the page's CSRF token like a browser would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from core import runtime
from core.actor import Actor
from core.services import accounts, api_tokens
from core.settings import Settings
from web.app import create_app

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
ADMIN_PASSWORD = "admin-password-1"


class WebClient(httpx.AsyncClient):
    csrf: str = ""

    async def page(self, url: str) -> httpx.Response:
        response = await self.get(url)
        found = CSRF_INPUT.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def form(self, url: str, data: dict[str, str], *, csrf: bool = True) -> httpx.Response:
        if csrf and not self.csrf:
            await self.page("/login" if not self.cookies.get("shoal_session") else "/account")
        body = {**data, **({"csrf_token": self.csrf} if csrf else {})}
        return await self.post(url, data=body)

    async def login(self, username: str, password: str) -> httpx.Response:
        await self.page("/login")
        response = await self.form("/login", {"username": username, "password": password})
        if response.status_code == 303:
            await self.page("/account")
        return response


@pytest.fixture(scope="session")
async def web_app(database: str) -> AsyncIterator[Litestar]:
    settings = Settings(login_max_failures=5)
    app = create_app(settings, database, run_worker=False, own_pool=False, run_background=False)
    async with AsyncTestClient(app):  # runs the lifespan once for the whole session
        # Later tests start from the app's runtime (its queue; no key: tests add their own
        # with `runtime.install`, which ends with the test). The lifespan entered it in a
        # task of its own, which a test's context does not see.
        runtime.enter(app.state.runtime)
        yield app


@pytest.fixture
async def client(web_app: Litestar, db: str) -> AsyncIterator[WebClient]:
    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    async with WebClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def admin(db: str) -> accounts.UserView:
    return await accounts.create_user(
        Actor.system("tests"), username="admin", password=ADMIN_PASSWORD, is_admin=True
    )


async def api_client(web_app: Litestar, user: accounts.UserView) -> WebClient:
    """A client authenticated by a real API token of `user` (caller closes it)."""
    actor = Actor(id=user.id, username=user.username, is_admin=user.is_admin)
    token = (await api_tokens.create_token(actor, "tests")).token
    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    return WebClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )
