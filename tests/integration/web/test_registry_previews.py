"""Issue 17, end to end: a real `shoal up` (embedded PostgreSQL, its worker, its Caddy, its
local agent on dockerd) and a real Debian `docker-registry` whose notification endpoint points
at Shoal with a registry rule's webhook secret. Nothing is called by hand but `docker push`.

- pushing `pr-7` of the followed image creates preview `pr-7`, whose URL answers through Caddy
  with that image; pushing a new image under the same tag replaces it under the same URL;
- pushing `pr-8` of the followed image while the other service's `pr-8` is not built yet
  leaves the preview waiting for its image; the other push ends the wait and it runs.
"""

from __future__ import annotations

import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from shoaltest.agent import remove_labelled
from shoaltest.browser import free_port, running_shoal_up
from shoaltest.registry import running_registry

pytestmark = [pytest.mark.docker]
SECRET = "registry-push-secret-1"


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


def build(docker_client, busybox_image: str, name: str, text: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "index.html").write_text(f"{text}\n")
        Path(tmp, "Dockerfile").write_text(
            f"FROM {busybox_image}\nCOPY index.html /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        docker_client.images.build(path=tmp, tag=name, rm=True)
    return name


@pytest.fixture(scope="module")
def world(docker_client, busybox_image):
    listen = f"127.0.0.1:{free_port()}"
    with running_shoal_up(SHOAL_LOCAL_AGENT="true", SHOAL_LOCAL_AGENT_LISTEN=listen) as up:
        hook = f"{up.url}/api/v1/previews/registry"
        with running_registry(docker_client, hook, SECRET) as registry:
            token = up.create_admin("ops", "ops-password-1")
            api = httpx.Client(
                base_url=f"{up.url}/api/v1",
                timeout=30,
                headers={"Authorization": f"Bearer {token}"},
            )
            env = next(e for e in ok(api.get("/environments")) if e["name"] == "local")
            reg = ok(api.post("/registries", json={"name": "own", "url": registry.url,
                                                   "username": registry.username,
                                                   "password": registry.password}))  # fmt: skip
            nodes = []
            for name in ("web", "api"):
                service = {
                    "name": f"rp-{name}",
                    "registry_id": reg["id"],
                    "image": f"shop/rp-{name}",
                    "tag_mode": "selectable",
                    "tag_pattern": "pr-*",
                    "port": 8080,
                    "health_check": {"kind": "http", "path": "/"},
                    "cpu": 0.1,
                    "memory_mb": 32,
                }
                svc = ok(api.post("/services", json=service))
                nodes.append({"id": name, "kind": "service", "config": {"service_id": svc["id"]}})
            project = ok(api.post("/projects", json={"name": "rp", "cpu": 0.2, "memory_mb": 64}))
            graph = {"nodes": nodes, "edges": [], "layout": {}, "message": "web and api"}
            ok(api.put(f"/projects/{project['id']}/pipeline", json=graph))
            rule = {
                "environment_id": env["id"],
                "forge": "registry",
                "registry_repository": "shop/rp-web",
                "tag_templates": {"web": "pr-{number}", "api": "pr-{number}"},
                "webhook_secret": SECRET,
            }
            ok(api.post(f"/projects/{project['id']}/preview-rules", json=rule))
            yield {"up": up, "api": api, "registry": registry, "project": project}
            remove_labelled((up.data_dir / "agent" / "agent-id").read_text().strip())


def preview(world, name: str, *statuses: str, within: float = 240) -> dict:
    """The live deployment `name` once its status is one of `statuses`."""
    api, project = world["api"], world["project"]
    deadline, seen = time.monotonic() + within, None
    while time.monotonic() < deadline:
        found = ok(api.get("/deployments", params={"project_id": project["id"]}))
        live = [d for d in found if d["name"] == name and d["status"] != "deleted"]
        seen = live[0] if live else None
        if seen and seen["status"] in statuses:
            return seen
        time.sleep(0.25)
    log = world["registry"].log_path.read_text()[-1500:]
    raise AssertionError(f"{name} never became {statuses}; last seen {seen}\nregistry: {log}")


def answer(url: str, expected: str, within: float = 60) -> str:
    parts, got = urlsplit(url), ""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"http://127.0.0.1:{parts.port}/",
                                 headers={"Host": parts.netloc}, timeout=5)  # fmt: skip
            got = response.text.strip()
            if got == expected:
                return got
        except httpx.HTTPError as exc:
            got = str(exc)
        time.sleep(0.25)
    return got


def test_a_push_creates_the_preview_and_a_new_image_replaces_it(world, docker_client,
                                                                 busybox_image):  # fmt: skip
    registry = world["registry"]
    registry.push(
        build(docker_client, busybox_image, "shoal-test/rp-api:7", "rp api 7"),
        "shop/rp-api",
        "pr-7",
    )  # fmt: skip  (not followed: acknowledged, ignored)
    registry.push(build(docker_client, busybox_image, "shoal-test/rp-web:7", "rp web 7 v1"),
                  "shop/rp-web", "pr-7")  # fmt: skip
    first = preview(world, "pr-7", "running", "failed")
    assert first["status"] == "running", first["error"]
    assert first["tags"] == {"web": "pr-7", "api": "pr-7"}
    url = first["urls"]["web"]
    assert answer(url, "rp web 7 v1") == "rp web 7 v1"

    registry.push(build(docker_client, busybox_image, "shoal-test/rp-web:7b", "rp web 7 v2"),
                  "shop/rp-web", "pr-7")  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        now = preview(world, "pr-7", "running", "failed", "deploying", "pending", "deleting")
        if now["id"] != first["id"] and now["status"] in ("running", "failed"):
            break
        time.sleep(0.25)
    assert (now["id"] != first["id"], now["status"]) == (True, "running"), now
    assert now["urls"]["web"] == url  # the same name, so the same URL
    assert answer(url, "rp web 7 v2") == "rp web 7 v2"


def test_a_preview_waits_for_an_image_not_built_yet(world, docker_client, busybox_image):
    registry = world["registry"]
    registry.push(build(docker_client, busybox_image, "shoal-test/rp-web:8", "rp web 8"),
                  "shop/rp-web", "pr-8")  # fmt: skip
    waiting = preview(world, "pr-8", "waiting_for_image", "running", "failed")
    assert waiting["status"] == "waiting_for_image"
    page = httpx.get(f"{world['up'].url}/deployments/{waiting['id']}", headers=world["api"].headers)
    assert "Waiting for image" in page.text and "<code>pr-8</code>" in page.text
    api_image = build(docker_client, busybox_image, "shoal-test/rp-api:8", "rp api 8")
    # The minutely check runs at :00; pushed at least 20 s before the next one, a release
    # before it can only come from the push's wake (a release takes about a second).
    while not 1 <= datetime.now().second <= 40:
        time.sleep(0.2)
    next_check = time.monotonic() + 60 - datetime.now().second
    registry.push(api_image, "shop/rp-api", "pr-8")
    released = preview(world, "pr-8", "pending", "deploying", "running", "failed", within=240)
    assert time.monotonic() < next_check, "released by the minutely check, not by the push"
    running = preview(world, "pr-8", "running", "failed", within=240)
    assert running["status"] == "running", running["error"]
    assert running["id"] == released["id"] == waiting["id"]  # the same deployment, released
    assert answer(running["urls"]["api"], "rp api 8") == "rp api 8"
