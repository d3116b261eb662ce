"""A GitHub pull request end to end with every real part: GitHub's published payloads signed
and received, the SAQ worker, the hub, a real agent on dockerd, a local docker-registry and
Caddy, and a local HTTP server standing in for GitHub's API.

opened → the preview answers through Caddy with the pushed image; synchronize (a new image
under the same tag, as CI pushes) → the deployment is replaced under the same URL; closed →
deleted with zero containers left. The forge saw one comment, edited in place, and commit
statuses pending → success linking to the deployment page.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import tempfile
from pathlib import Path

import docker
import httpx
import pytest

from core import ingress, runtime
from core.jobs import make_worker
from core.services import catalog, pipelines, preview_rules, projects, registries, webhooks
from core.services.deployments import get_deployment
from core.tables.previews import Preview
from shoaltest.agent import labelled
from shoaltest.forge_api import forge_api
from shoaltest.hub import add_node_with_agent, until, wait_status

pytestmark = pytest.mark.docker
DATA = Path(__file__).parents[2] / "data" / "forges" / "github"
SECRET = "It's a Secret to Everybody"


def build_image(client: docker.DockerClient, base: str, says: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Dockerfile").write_text(
            f"FROM {base}\nRUN mkdir -p /www && echo '{says}' > /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        name = f"shoal-test/preview-web:{says.replace(' ', '-')}"
        client.images.build(path=tmp, tag=name, rm=True)
    return name


def delivery(action: str, delivery_id: str) -> tuple[dict[str, str], bytes]:
    body = (DATA / f"pull_request.{action}.json").read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "x-github-event": "pull_request",
        "x-github-delivery": delivery_id,
        "x-hub-signature-256": signature,
    }
    return headers, body


@pytest.fixture
async def stack(hub, hub_env, agent_factory, registry, docker_client, busybox_image, caddy, queue):
    admin, env_id = hub_env
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    settings = caddy.settings()
    runtime.install(settings=settings)
    await ingress.start(settings)
    worker = make_worker(queue, 4, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    reg = await registries.create_registry(
        admin,
        registries.RegistryInput(
            name="local", url=registry.url, username=registry.username, password=registry.password
        ),
    )
    web = await catalog.create_service(
        admin,
        catalog.ServiceInput(
            name="web",
            registry_id=reg.id,
            image="shop/preview-web",
            tag_mode="selectable",
            tag_pattern="pr-*",
            port=8080,
            health_check=catalog.HealthCheck(kind="http", path="/"),
            cpu=0.25,
            memory_mb=64,
        ),
    )
    project = await projects.create_project(
        admin, projects.ProjectInput(name="hello", cpu=1.0, memory_mb=512)
    )
    graph = {"nodes": [{"id": "web", "kind": "service", "config": {"service_id": web.id}}]}
    await pipelines.save_pipeline(admin, project.id, {**graph, "edges": [], "layout": {}}, "web")
    with forge_api() as forge:
        await preview_rules.create_rule(
            admin,
            project.id,
            preview_rules.RuleInput(
                environment_id=env_id,
                repository="Codertocat/Hello-World",
                tag_templates={"web": "pr-{number}"},
                webhook_secret=SECRET,
                api_base_url=forge.url,
                api_token="forge-token-1",
            ),
        )
        yield {"admin": admin, "agent": agent, "caddy": caddy, "forge": forge}
    await worker.stop()
    worker_task.cancel()
    await ingress.stop()


async def preview_running(admin, not_id: int | None = None):
    async def reached():
        row = await Preview.select().first().run()
        if not row or row["deployment"] in (None, not_id):
            return None
        dep = await get_deployment(admin, row["deployment"])
        assert dep.status != "failed", dep.error
        return dep if dep.status == "running" else None

    return await until(reached, 90, every=0.2)


async def answer_of(caddy, url: str) -> str | None:
    host = url.split("//")[1].split(":")[0]
    async with httpx.AsyncClient() as client:
        response = await client.get(caddy.ingress_url + "/", headers={"Host": host}, timeout=5)
    return response.text.strip() if response.status_code == 200 else None


async def test_a_pull_request_opened_synchronized_and_closed(
    stack, registry, docker_client, busybox_image
):
    admin, caddy, forge = stack["admin"], stack["caddy"], stack["forge"]
    registry.push(
        build_image(docker_client, busybox_image, "build one"), "shop/preview-web", "pr-2"
    )
    answer = await webhooks.receive("github", *delivery("opened", "gh-1"))
    assert answer.status_code == 202, answer.detail
    first = await preview_running(admin)
    assert first.name == "pr-2" and first.tags == {"web": "pr-2"}
    url = first.urls["web"]
    assert await until(lambda: answer_of(caddy, url), 15, every=0.2) == "build one"

    registry.push(
        build_image(docker_client, busybox_image, "build two"), "shop/preview-web", "pr-2"
    )
    answer = await webhooks.receive("github", *delivery("synchronize", "gh-2"))
    assert answer.status_code == 202, answer.detail
    second = await preview_running(admin, not_id=first.id)
    assert second.urls["web"] == url  # the same name, the same URL
    assert (await get_deployment(admin, first.id)).status == "deleted"

    async def says_two():
        return await answer_of(caddy, url) == "build two"

    await until(says_two, 15, every=0.2)

    # The replaced deployment's deletion was not news for the pull request.
    assert not any("removed" in c.body["body"] for c in forge.comment_calls())
    answer = await webhooks.receive("github", *delivery("closed", "gh-3"))
    assert answer.detail == "closed: deleting the preview"

    async def deleted():
        return (await get_deployment(admin, second.id)).status == "deleted"

    await until(deleted, 60, every=0.2)
    assert labelled(stack["agent"].agent_id) == ([], [])

    async def reported_removed():
        calls = forge.comment_calls()
        return calls and "removed" in calls[-1].body["body"]

    await until(reported_removed, 30, every=0.2)
    comments = forge.comment_calls()
    assert comments[0].method == "POST" and comments[0].path.endswith("/issues/2/comments")
    assert {c.method for c in comments[1:]} == {"PATCH"}  # one comment, edited in place
    assert {c.path for c in comments[1:]} == {"/repos/Codertocat/Hello-World/issues/comments/1001"}
    assert any(url in c.body["body"] and "running" in c.body["body"] for c in comments)
    states = [c.body["state"] for c in forge.status_calls()]
    assert states[0] == "pending" and "success" in states
    success = next(c for c in forge.status_calls() if c.body["state"] == "success")
    assert success.body["target_url"].endswith(f"/deployments/{first.id}") or success.body[
        "target_url"
    ].endswith(f"/deployments/{second.id}")


async def test_closing_a_pull_request_whose_preview_is_still_deploying_cancels_it(
    stack, registry, docker_client, busybox_image
):
    from core.tables import Deployment, Service

    admin = stack["admin"]
    # A health check that never passes keeps the deployment in `deploying`.
    never = {"kind": "http", "path": "/never-there", "interval_s": 1, "retries": 300}
    await Service.update({Service.health_check: never}).where(Service.name == "web").run()
    registry.push(build_image(docker_client, busybox_image, "slow one"), "shop/preview-web", "pr-2")
    assert (await webhooks.receive("github", *delivery("opened", "gh-11"))).status_code == 202

    async def deploying():
        row = await Preview.select().first().run()
        if not row or not row["deployment"]:
            return None
        dep = await Deployment.select().where(Deployment.id == row["deployment"]).first().run()
        return dep if dep["status"] == "deploying" else None

    dep = await until(deploying, 60, every=0.1)
    answer = await webhooks.receive("github", *delivery("closed", "gh-12"))
    assert answer.detail == "closed: deleting the preview"

    async def deleted():
        return (await get_deployment(admin, dep["id"])).status == "deleted"

    await until(deleted, 60, every=0.2)
    assert labelled(stack["agent"].agent_id) == ([], [])
