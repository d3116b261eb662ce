"""The browser terminal in headless Chromium against a real `shoal up` with its local agent
(issue 23): the deployment page offers a Terminal per service, typing `echo hello` shows
hello, a smaller window changes `stty size`, and the page runs under the CSP without errors."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from shoaltest.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.docker]


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


@pytest.fixture(scope="module")
def running(shoal_with_agent, registry, docker_client, busybox_image):
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Dockerfile").write_text(
            f"FROM {busybox_image}\nRUN mkdir -p /www && echo 'tty' > /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        docker_client.images.build(path=tmp, tag="shoal-test/tty:v1", rm=True)
    registry.push("shoal-test/tty:v1", "shop/tty", "v1")
    api = shoal_with_agent.api
    svc = ok(
        api.post(
            "/services",
            json={
                "name": "tty-web",
                "registry_id": shoal_with_agent.registry_id,
                "image": "shop/tty",
                "tag_mode": "pinned",
                "tag": "v1",
                "port": 8080,
                "health_check": {"kind": "tcp"},
                "cpu": 0.1,
                "memory_mb": 32,
            },
        )
    )
    project = ok(api.post("/projects", json={"name": "tty", "cpu": 0.5, "memory_mb": 128}))
    graph = {
        "nodes": [{"id": "web", "kind": "service", "config": {"service_id": svc["id"]}}],
        "edges": [],
        "layout": {},
    }
    ok(api.put(f"/projects/{project['id']}/pipeline", json=graph))
    body = {
        "project_id": project["id"],
        "environment_id": shoal_with_agent.env["id"],
        "name": "tty",
    }
    dep = ok(api.post("/deployments", json=body))
    for _ in range(300):
        if ok(api.get(f"/deployments/{dep['id']}"))["status"] in ("running", "failed"):
            break
        time.sleep(0.2)
    assert ok(api.get(f"/deployments/{dep['id']}"))["status"] == "running"
    yield shoal_with_agent.up, dep
    shoal_with_agent.delete_deployments()


async def screen_rows(page) -> list[str]:
    rows = await page.locator(".xterm-rows > div").all_text_contents()
    return [row.replace("\xa0", " ").rstrip() for row in rows]


async def wait_for_row(page, predicate, within: float = 30.0) -> list[str]:
    deadline = time.monotonic() + within
    while True:
        rows = await screen_rows(page)
        if any(predicate(row) for row in rows):
            return rows
        assert time.monotonic() < deadline, f"never on screen: {rows}"
        await page.wait_for_timeout(100)


async def stty_size(page, marker: str) -> tuple[int, int]:
    await page.keyboard.type(f"echo {marker}; stty size\n")
    rows = await wait_for_row(page, lambda r: r == marker)
    after = rows[max(i for i, r in enumerate(rows) if r == marker) + 1 :]
    found = next(r for r in after if re.fullmatch(r"\d+ \d+", r))
    height, width = found.split()
    return int(height), int(width)


async def test_typing_echo_hello_shows_hello_and_a_resize_changes_stty_size(browser, running):
    up, dep = running
    context, page = await browser_sign_in(
        browser, up.url, "ops", "ops-password-1", viewport={"width": 1280, "height": 900}
    )
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)
    await page.goto(f"/deployments/{dep['id']}")
    link = page.locator("#terminals a", has_text="web")
    href = await link.get_attribute("href")
    assert href == f"/deployments/{dep['id']}/services/web/terminal"
    await page.goto(href)
    await page.locator("#terminal-status", has_text="Connected.").wait_for(timeout=30_000)
    await page.locator("#terminal").click()
    await page.keyboard.type("echo hel''lo\n")
    await wait_for_row(page, lambda r: r == "hello")

    before = await stty_size(page, "one")
    await page.set_viewport_size({"width": 800, "height": 500})
    await page.wait_for_timeout(500)  # the fit addon follows the window; the resize goes out
    after = await stty_size(page, "two")
    assert after[0] < before[0] and after[1] < before[1], (before, after)
    assert page.js_errors == [] and csp == []
    await context.close()
