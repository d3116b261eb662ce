"""Issue 17: `shoal deploy | delete | list` as a CI pipeline runs them, against a real
`shoal up` (embedded PostgreSQL, its Caddy, its local agent on dockerd) and a real registry
holding `pr-1` and `pr-2` of a busybox httpd image that says its tag.

A deploy waits, prints the URLs as JSON and the URL answers through Caddy with that tag; a
deploy of the same name replaces it (same URL, the new tag); a tag the registry lacks fails
with exit 1; bad input (tag syntax, unknown project, wrong token) is exit 2 with a message
that says what to fix; a delete leaves no container behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from shoaltest.agent import labelled, remove_labelled
from shoaltest.browser import REPO, free_port, running_shoal_up

pytestmark = [pytest.mark.docker]


@pytest.fixture(scope="module")
def pr_images(registry, docker_client, busybox_image):
    for tag in ("pr-1", "pr-2"):
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "index.html").write_text(f"ci web {tag}\n")
            Path(tmp, "Dockerfile").write_text(
                f"FROM {busybox_image}\nCOPY index.html /www/index.html\n"
                'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
            )
            docker_client.images.build(path=tmp, tag=f"shoal-test/ci-web:{tag}", rm=True)
        registry.push(f"shoal-test/ci-web:{tag}", "shop/ci-web", tag)
    return registry


def ok(response: httpx.Response) -> dict:
    assert response.status_code < 400, response.text
    return response.json()


@pytest.fixture(scope="module")
def ci(pr_images):
    registry = pr_images
    listen = f"127.0.0.1:{free_port()}"
    with running_shoal_up(SHOAL_LOCAL_AGENT="true", SHOAL_LOCAL_AGENT_LISTEN=listen) as up:
        token = up.create_admin("ci", "ci-password-1")
        api = httpx.Client(
            base_url=f"{up.url}/api/v1", timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
        reg = {"name": "local", "url": registry.url}
        reg = ok(api.post("/registries", json=reg | {"username": registry.username,
                                                     "password": registry.password}))  # fmt: skip
        service = {
            "name": "ci-web",
            "registry_id": reg["id"],
            "image": "shop/ci-web",
            "tag_mode": "selectable",
            "tag_pattern": "*",
            "port": 8080,
            "health_check": {"kind": "http", "path": "/"},
            "cpu": 0.1,
            "memory_mb": 32,
        }
        svc = ok(api.post("/services", json=service))
        project = ok(api.post("/projects", json={"name": "shop", "cpu": 0.1, "memory_mb": 32}))
        node = {"id": "web", "kind": "service", "config": {"service_id": svc["id"]}}
        graph = {"nodes": [node], "edges": [], "layout": {}, "message": "one web service"}
        ok(api.put(f"/projects/{project['id']}/pipeline", json=graph))
        yield {"up": up, "token": token, "api": api}
        remove_labelled((up.data_dir / "agent" / "agent-id").read_text().strip())


def shoal(ci, *args: str, token: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "SHOAL_URL": ci["up"].url, "SHOAL_TOKEN": token or ci["token"]}
    return subprocess.run(
        [sys.executable, "-m", "web.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def answer(url: str) -> str:
    """What the URL answers through the ingress (Python does not resolve *.localhost)."""
    parts = urlsplit(url)
    for _ in range(240):  # the route follows `running` within moments (60 s on a busy machine)
        try:
            got = httpx.get(
                f"http://127.0.0.1:{parts.port}{parts.path or '/'}",
                headers={"Host": parts.netloc},
                timeout=5,
            )
            if got.status_code == 200 and got.text.startswith("ci web"):
                return got.text.strip()
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    return f"no answer from {url}"


def test_bad_input_says_what_to_fix(ci):
    bad_tag = shoal(ci, "deploy", "--project", "shop", "--env", "local", "--name", "x",
                    "--tag", "web=feature/login")  # fmt: skip
    assert bad_tag.returncode == 2
    assert "bad --tag 'web=feature/login'" in bad_tag.stderr
    unknown = shoal(ci, "deploy", "--project", "shoop", "--env", "local", "--name", "x")
    assert unknown.returncode == 2
    assert "unknown project 'shoop'" in unknown.stderr and "shop" in unknown.stderr
    wrong_env = shoal(ci, "deploy", "--project", "shop", "--env", "qa", "--name", "x")
    assert (wrong_env.returncode, "unknown environment 'qa'" in wrong_env.stderr) == (2, True)
    refused = shoal(ci, "list", token="not-a-token")
    assert refused.returncode == 2
    assert "refused SHOAL_TOKEN (401)" in refused.stderr
    unknown_service = shoal(ci, "deploy", "--project", "shop", "--env", "local", "--name",
                            "x", "--tag", "api=pr-1")  # fmt: skip
    assert unknown_service.returncode == 2
    assert "Shoal answered 422" in unknown_service.stderr, unknown_service.stderr
    gone = shoal(ci, "delete", "--project", "shop", "--name", "never-made")
    assert (gone.returncode, "no live deployment named 'never-made'" in gone.stderr) == (2, True)
    assert ok(ci["api"].get("/deployments")) == []  # nothing was created on the way


def test_deploy_waits_replaces_under_the_same_url_and_deletes(ci):
    args = ("deploy", "--project", "shop", "--env", "local", "--name", "pr-7", "--wait")
    first = shoal(ci, *args, "--tag", "web=pr-1", "--ttl", "2")
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert (made["status"], made["tags"], made["environment"]) == ("running", {"web": "pr-1"},
                                                                     "local")  # fmt: skip
    assert "pr-7 is running" in first.stderr  # progress on stderr, the JSON alone on stdout
    url = made["urls"]["web"]
    assert "pr-7" in url
    assert answer(url) == "ci web pr-1"

    listed = shoal(ci, "list", "--project", "shop")
    assert listed.returncode == 0
    assert "pr-7" in listed.stdout and "running" in listed.stdout and "web=pr-1" in listed.stdout

    second = shoal(ci, *args, "--tag", "web=pr-2")
    assert second.returncode == 0, second.stderr
    replaced = json.loads(second.stdout)
    assert f"replacing pr-7 (#{made['id']}" in second.stderr
    assert replaced["id"] != made["id"] and replaced["urls"]["web"] == url  # a stable URL
    assert answer(url) == "ci web pr-2"
    live = [d for d in json.loads(shoal(ci, "list", "--json").stdout)]
    assert [(d["name"], d["tags"]) for d in live] == [("pr-7", {"web": "pr-2"})]

    gone = shoal(ci, "delete", "--project", "shop", "--name", "pr-7", "--wait")
    assert gone.returncode == 0, gone.stderr
    assert json.loads(gone.stdout)["status"] == "deleted"
    agent_id = (ci["up"].data_dir / "agent" / "agent-id").read_text().strip()
    assert labelled(agent_id) == ([], [])


def test_a_failed_deploy_exits_1_with_the_reason(ci):
    failed = shoal(ci, "deploy", "--project", "shop", "--env", "local", "--name", "pr-9",
                   "--tag", "web=pr-404", "--wait", "--timeout", "240")  # fmt: skip
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)["status"] == "failed"
    assert "pr-9 failed:" in failed.stderr
    shoal(ci, "delete", "--project", "shop", "--name", "pr-9", "--wait")
