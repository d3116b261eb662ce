"""Headless Chromium against a real `shoal up` (embedded PostgreSQL, its own Caddy, a local
agent on dockerd) and a real registry (issue 20): a sleeping deployment's URL shows the
"waking up" page, which turns into the app by itself, without a reload by hand."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
import pytest

from shoaltest.browser import AgentShoal

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


@pytest.fixture(scope="module")
def shoal_with_app(shoal_with_agent, registry, docker_client, busybox_image):
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Dockerfile").write_text(
            f"FROM {busybox_image}\n"
            "RUN mkdir -p /www && echo 'shop web awake' > /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        docker_client.images.build(path=tmp, tag="shoal-test/wake:v1", rm=True)
    registry.push("shoal-test/wake:v1", "shop/wake", "v1")
    yield shoal_with_agent
    shoal_with_agent.delete_deployments()


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


def running_deployment(shoal: AgentShoal) -> dict:
    api = shoal.api
    svc = ok(
        api.post(
            "/services",
            json={
                "name": "wake-web",
                "registry_id": shoal.registry_id,
                "image": "shop/wake",
                "tag": "v1",
                "port": 8080,
                "health_check": {"kind": "http", "path": "/"},
                "cpu": 0.25,
                "memory_mb": 64,
            },
        )
    )
    project = ok(api.post("/projects", json={"name": "wake-shop", "cpu": 0.5, "memory_mb": 256}))
    ok(
        api.put(
            f"/projects/{project['id']}/pipeline",
            json={
                "nodes": [{"id": "web", "kind": "service", "config": {"service_id": svc["id"]}}],
                "edges": [],
                "layout": {},
                "message": "one web service",
            },
        )
    )
    dep = ok(
        api.post(
            "/deployments",
            json={"project_id": project["id"], "environment_id": shoal.env["id"], "name": "pr-7"},
        )
    )
    return wait_status(api, dep["id"], "running")


def wait_status(api: httpx.Client, deployment_id: int, wanted: str, within: float = 90) -> dict:
    deadline = time.monotonic() + within
    while True:
        dep = ok(api.get(f"/deployments/{deployment_id}"))
        if dep["status"] == wanted:
            return dep
        assert dep["status"] != "failed", dep["error"]
        assert time.monotonic() < deadline, f"still {dep['status']} after {within} s"
        time.sleep(0.3)


async def test_the_waking_page_turns_into_the_app_without_a_manual_reload(shoal_with_app, browser):
    api = shoal_with_app.api
    dep = running_deployment(shoal_with_app)
    url = dep["urls"]["web"]
    context = await browser.new_context()
    page = await context.new_page()
    for _ in range(40):  # the ingress applies the new route within moments of `running`
        await page.goto(url)
        if "shop web awake" in await page.content():
            break
        await page.wait_for_timeout(250)
    assert "shop web awake" in await page.content()

    ok(api.post(f"/deployments/{dep['id']}/sleep"))
    wait_status(api, dep["id"], "sleeping", within=30)
    await page.wait_for_timeout(1500)  # the ingress sends the host to Shoal now

    await page.goto(f"{url}?after=sleep")  # a new URL: nothing of it in Chromium's cache
    assert "Waking up pr-7" in await page.content()
    # No goto, no reload from here on: the page's meta refresh brings the app.
    await page.wait_for_selector("text=shop web awake", timeout=60_000)
    await context.close()
