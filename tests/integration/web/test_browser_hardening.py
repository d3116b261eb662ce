"""What the app tells browsers and scrapers: /metrics only for admins or the scraper's token,
security headers on every response, and an API explorer that works offline."""

from __future__ import annotations

import re

import httpx
import pytest

from core.actor import Actor
from core.services import accounts
from shoaltest.web import ADMIN_PASSWORD, WebClient, api_client

SCRAPER_TOKEN = "scraper-token-0123456789abcdef"


def browser(web_app) -> WebClient:
    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    return WebClient(transport=transport, base_url="http://testserver")


async def a_user(admin) -> accounts.UserView:
    actor = Actor(id=admin.id, username="admin", is_admin=True)
    return await accounts.create_user(actor, username="qa", password="qa-password-1")


async def test_metrics_need_an_admin_or_the_scraper_token(web_app, admin, settings_of):
    user = await a_user(admin)
    async with browser(web_app) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 401
        refused = await anonymous.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert refused.status_code == 401 and "# TYPE" not in refused.text
    async with browser(web_app) as qa:
        await qa.login("qa", "qa-password-1")
        assert (await qa.get("/metrics")).status_code == 403
    async with await api_client(web_app, user) as qa_api:
        assert (await qa_api.get("/metrics")).status_code == 403
    async with browser(web_app) as admin_browser:
        await admin_browser.login("admin", ADMIN_PASSWORD)
        allowed = await admin_browser.get("/metrics")
        assert allowed.status_code == 200 and "# TYPE" in allowed.text
    async with await api_client(web_app, admin) as admin_api:
        assert (await admin_api.get("/metrics")).status_code == 200

    settings_of(metrics_token=SCRAPER_TOKEN)
    async with browser(web_app) as scraper:
        scraped = await scraper.get(
            "/metrics", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"}
        )
        assert scraped.status_code == 200 and "# TYPE" in scraped.text
        wrong = await scraper.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        # the scraper's token opens /metrics and nothing else
        api = await scraper.get("/api/v1/me", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"})
        assert api.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/login",  # a page
        "/no-such-page",  # an error page
        "/api/v1/me",  # a JSON error
        "/static/app.css",  # a static file
        "/health/live",
        "/schema/swagger",
    ],
)
async def test_every_response_carries_the_security_headers(client, path):
    response = await client.get(path)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


ASSET = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)=["\']([^"\']+)["\']', re.I)


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
async def test_the_api_explorer_loads_only_local_assets(client, path):
    page = await client.get(path)
    assert page.status_code == 200
    assets = ASSET.findall(page.text)
    assert any("swagger-ui" in a and a.endswith(".js") for a in assets), assets
    assert any("swagger-ui" in a and a.endswith(".css") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        assert (await client.get(asset)).status_code == 200, asset
    # no inline script: the page works under the same script-src 'self' as every other
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), page.text
    assert "cdn." not in page.text and "https://" not in page.text
