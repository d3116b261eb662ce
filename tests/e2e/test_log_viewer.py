"""The log viewer in headless Chromium against a real `shoal up` with its local agent: logs
opened right after Deploy wait for the service and show its first lines, a restarted container
is followed again without a line shown twice, timestamps show and hide (remembered), and a
reconnecting client resumes after the last line it saw."""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from shoaltest.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

FIRST = "first line from web"
# Every line unique across restarts (the kernel's uptime), one tick every 0.2 s.
TALKER = (
    "sh -c 'read up idle < /proc/uptime; echo \"" + FIRST + ' (boot $up)"; '
    'i=0; while :; do read up idle < /proc/uptime; echo "tick $i at $up"; i=$((i+1)); '
    "usleep 200000; done & exec httpd -f -p 8080 -h /www'"
)
SLOW_DB = "sh -c 'sleep 4; exec httpd -f -p 8080 -h /www'"


@pytest.fixture(scope="module")
def shoal(shoal_with_agent, registry, docker_client, busybox_image):
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Dockerfile").write_text(
            f"FROM {busybox_image}\n"
            "RUN mkdir -p /www && echo 'logs' > /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        docker_client.images.build(path=tmp, tag="shoal-test/logs:v1", rm=True)
    registry.push("shoal-test/logs:v1", "shop/logs", "v1")
    world = {"registry_id": shoal_with_agent.registry_id, "env_id": shoal_with_agent.env["id"]}
    yield shoal_with_agent.up, shoal_with_agent.api, world
    shoal_with_agent.delete_deployments()


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


def make_project(api: httpx.Client, world: dict, name: str, services: dict[str, str]) -> dict:
    """A project of services (name → command); the first starts once the others answer."""
    nodes = []
    for service, command in services.items():
        svc = ok(
            api.post(
                "/services",
                json={
                    "name": f"{name}-{service}",
                    "registry_id": world["registry_id"],
                    "image": "shop/logs",
                    "tag_mode": "pinned",
                    "tag": "v1",
                    "port": 8080,
                    "command": command,
                    "health_check": {"kind": "tcp"},
                    "cpu": 0.1,
                    "memory_mb": 32,
                },
            )
        )
        nodes.append({"id": service, "kind": "service", "config": {"service_id": svc["id"]}})
    project = ok(api.post("/projects", json={"name": name, "cpu": 0.25, "memory_mb": 128}))
    first, *others = services
    edges = [{"from": other, "to": first} for other in others]
    graph = {"nodes": nodes, "edges": edges, "layout": {}}
    ok(api.put(f"/projects/{project['id']}/pipeline", json=graph))
    return project


@pytest.fixture(scope="module")
def talker(shoal):
    """A running deployment whose one service talks all the time."""
    _, api, world = shoal
    project = make_project(api, world, "talker", {"web": TALKER})
    dep = ok(
        api.post(
            "/deployments",
            json={"project_id": project["id"], "environment_id": world["env_id"], "name": "talk"},
        )
    )
    for _ in range(300):
        if ok(api.get(f"/deployments/{dep['id']}"))["status"] in ("running", "failed"):
            break
        time.sleep(0.2)
    assert ok(api.get(f"/deployments/{dep['id']}"))["status"] == "running"
    return dep


async def open_viewer(browser, up, path: str):
    context, page = await browser_sign_in(browser, up.url, "ops", "ops-password-1")
    await page.goto(path)
    return context, page


def text_of(page_text: str) -> list[str]:
    return [line for line in page_text.splitlines() if not line.startswith("… ")]


async def wait_until(page, selector: str, predicate, within: float = 60.0) -> str:
    """Poll an element's text until `predicate(text)` (the page's CSP forbids the eval that
    wait_for_function needs)."""
    deadline = time.monotonic() + within
    while True:
        text = await page.locator(selector).text_content()
        if predicate(text):
            return text
        assert time.monotonic() < deadline, f"{selector} never got there: {text[-500:]!r}"
        await page.wait_for_timeout(100)


async def test_logs_opened_right_after_deploy_wait_for_the_service_and_show_its_first_lines(
    shoal, browser
):
    up, api, world = shoal
    # web starts only once db answers (~4 s): the viewer opens on a service with no container.
    make_project(api, world, "slowstart", {"web": TALKER, "db": SLOW_DB})
    context, page = await open_viewer(browser, up, "/deployments/new")
    await page.select_option("#f-project_id", label="slowstart")
    await page.wait_for_selector("#tag-fields:not(:has-text('Loading the services'))")
    await page.fill("#f-name", "early")
    await page.click("button[type=submit]:has-text('Deploy')")
    await page.wait_for_url(re.compile(r"/deployments/\d+$"))
    await wait_until(page, ".logs-status", lambda t: "Waiting for web to start" in t, 30)
    await wait_until(page, ".logs-lines", lambda t: FIRST in t, 90)
    assert await page.locator(".logs-status").text_content() == "Following web…"
    lines = text_of(await page.locator(".logs-lines").text_content())
    assert lines[0].startswith(FIRST)  # from its very first line on
    assert page.js_errors == []
    early = int(page.url.rsplit("/", 1)[1])
    await context.close()
    ok(api.delete(f"/deployments/{early}"))  # the node's room is the next test's


async def test_the_viewer_follows_a_restarted_container_without_repeating_lines(
    shoal, talker, browser, docker_client
):
    up, _, _ = shoal
    context, page = await open_viewer(browser, up, f"/deployments/{talker['id']}")
    await wait_until(page, ".logs-lines", lambda t: "tick 3 " in t)
    agent_id = (up.data_dir / "agent" / "agent-id").read_text().strip()
    labels = [f"shoal.node={agent_id}", f"shoal.deployment={talker['id']}", "shoal.step=web"]
    (container,) = docker_client.containers.list(filters={"label": labels})
    container.restart(timeout=1)

    def restarted(text: str) -> bool:  # its first line again, then more
        runs = text.split(FIRST)
        return len(runs) == 3 and "tick 2 " in runs[2]

    await wait_until(page, ".logs-lines", restarted)
    lines = text_of(await page.locator(".logs-lines").text_content())
    assert len(lines) == len(set(lines)), "a line was shown twice"
    assert await page.locator(".logs-status").text_content() == "Following web…"
    assert page.js_errors == []
    await context.close()


async def test_timestamps_show_by_default_and_the_choice_is_remembered(shoal, talker, browser):
    up, _, _ = shoal
    context, page = await open_viewer(browser, up, f"/deployments/{talker['id']}")
    line = page.locator(".logs-lines span[data-time]").first
    await line.wait_for(timeout=60_000)
    stamp = "(s) => getComputedStyle(s, '::before').content"
    assert await page.is_checked(".logs-stamps")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", await line.evaluate(stamp))
    assert (await line.text_content()).startswith(("tick ", FIRST))  # the text stays as written
    await page.uncheck(".logs-stamps")
    assert await line.evaluate(stamp) == "none"
    await page.reload()
    line = page.locator(".logs-lines span[data-time]").first
    await line.wait_for(timeout=60_000)
    assert not await page.is_checked(".logs-stamps")
    assert await line.evaluate(stamp) == "none"
    await page.check(".logs-stamps")
    assert await line.evaluate(stamp) != "none"
    await context.close()


def read_events(response: httpx.Response, count: int) -> list[dict]:
    """The first `count` log events of an SSE response: {id, time, line}."""
    events, current = [], {}
    for raw in response.iter_lines():
        if not raw:
            if current.get("event") == "log":
                events.append({"id": current.get("id"), **json.loads(current["data"])})
                if len(events) == count:
                    return events
            current = {}
            continue
        key, _, value = raw.partition(": ")
        current[key] = value
    return events


def test_a_reconnecting_client_resumes_after_the_last_line_it_saw(shoal, talker):
    _, api, _ = shoal
    url = f"/deployments/{talker['id']}/logs"
    params = {"service": "web", "follow": "true", "tail": "5"}
    with api.stream("GET", url, params=params) as response:
        first = read_events(response, 4)
    assert all(e["id"] and e["time"] for e in first)
    with api.stream("GET", url, params=params, headers={"Last-Event-ID": first[1]["id"]}) as again:
        resumed = read_events(again, 2)
    assert [(e["line"], e["time"]) for e in resumed] == [(e["line"], e["time"]) for e in first[2:4]]
