"""Every page works under Shoal's Content-Security-Policy: headless Chromium against a real
`shoal up` reports no refused script, style, image or connection on the pages people use, and
the API explorer renders from the vendored Swagger UI without reaching the internet."""

import pytest

from shoaltest.editor import signed_in_api

pytestmark = [pytest.mark.e2e]


def collect_refusals(page) -> list[str]:
    refused: list[str] = []
    page.on(
        "console",
        lambda msg: (
            refused.append(f"{page.url}: {msg.text[:120]}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    return refused


async def test_pages_run_under_the_policy_without_refusals(shoal_up, browser):
    context, page, api = await signed_in_api(browser, shoal_up)
    refused = collect_refusals(page)
    offsite: list[str] = []
    page.on(
        "request",
        lambda r: offsite.append(r.url) if not r.url.startswith(shoal_up.url) else None,
    )
    project = await api.call("POST", "/projects", {"name": "csp-check", "cpu": 1, "memory_mb": 512})
    web = next(s for s in await api.call("GET", "/services") if s["name"] == "e2e-web")
    node = {"id": "web", "kind": "service", "config": {"service_id": web["id"]}}
    await api.call(
        "PUT",
        f"/projects/{project['id']}/pipeline",
        {"nodes": [node], "edges": [], "layout": {}, "message": "one service"},
    )
    for path in (
        "/",
        "/deployments",
        "/deployments/new",
        "/teams",
        "/users",
        "/registries",
        "/services",
        "/plugins",
        "/environments",
        f"/projects/{project['id']}",
        "/account",
    ):
        response = await page.goto(path)
        assert response.status == 200, path
        await page.wait_for_load_state("networkidle")
    await page.goto("/deployments")
    await page.select_option("select[name=status]", "failed")  # filters apply on change
    await page.wait_for_url("**/deployments?*status=failed*")
    await page.goto(f"/projects/{project['id']}/pipeline")
    await page.wait_for_selector("#pl-canvas .pl-palette, #pl-canvas", state="attached")
    await page.wait_for_load_state("networkidle")

    await page.goto("/schema")
    await page.wait_for_selector(".swagger-ui .opblock-tag", timeout=20_000)
    assert await page.locator(".swagger-ui .opblock").count() > 10
    await page.wait_for_load_state("networkidle")

    assert refused == [], refused
    assert page.js_errors == [], page.js_errors
    assert offsite == [], offsite
    await context.close()
