"""Who may open a deployment's URLs, for a deployment made the real way (services, SAQ worker,
hub, an agent process on dockerd) and reached through the real Caddy and control plane: a
`signed-in` environment sends curl-like clients to sign in, the bypass token opens it, and a
project that overrides the policy with `public` opens it to everyone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from core import runtime
from core.ingress import options_from
from core.ingress.caddy import CaddyAdmin
from core.ingress.syncer import IngressSyncer
from core.jobs import make_worker
from core.services import url_keys
from core.tables import Environment, Project
from shoaltest.httpd_project import deploy, deployment_reaches, httpd_project
from shoaltest.hub import add_node_with_agent, until, wait_status
from shoaltest.served import served

pytestmark = pytest.mark.docker
HOST = "web.pr-1.qa.qa.example.test"


@pytest.fixture
async def deployed(hub, hub_env, agent_factory, queue, caddy, web_app) -> AsyncIterator[Any]:
    admin, env_id = hub_env
    runtime.install(settings=caddy.settings())
    node, _ = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    await Environment.update({Environment.url_access: "signed-in"}).where(Environment.id == env_id)
    project_id = await httpd_project(admin, "shop")
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    try:
        deployment = await deploy(admin, project_id, env_id, "pr-1")
        row = await deployment_reaches(deployment, "running", "failed")
        assert row["status"] == "running", row["error"]
        async with served(web_app) as base:
            options = msgspec.structs.replace(
                options_from(caddy.settings()), control_plane=base.removeprefix("http://")
            )
            syncer = IngressSyncer(CaddyAdmin(caddy.admin_url, timeout=5), options)
            try:
                yield admin, project_id, deployment, syncer, caddy
            finally:
                await syncer.stop()
    finally:
        await worker.stop()
        worker_task.cancel()


async def _get(caddy, headers: dict | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(
            caddy.ingress_url + "/",
            headers={"Host": f"{HOST}:{caddy.ingress_port}", **(headers or {})},
        )


async def test_a_deployed_service_behind_each_policy(deployed):
    admin, project_id, deployment, syncer, caddy = deployed
    status = await syncer.sync_now()
    assert status.last_error == "" and status.routed_count == 1

    anonymous = await _get(caddy)
    assert (
        anonymous.status_code == 302 and "/ingress-auth/signin?to=" in anonymous.headers["location"]
    )
    token = (await url_keys.reveal(admin, deployment)).bypass_token
    with_token = await _get(caddy, {"X-Shoal-Bypass": token})
    assert with_token.status_code == 200

    await Project.update({Project.url_access: "public"}).where(Project.id == project_id)
    await syncer.sync_now()
    assert (await _get(caddy)).status_code == 200

    await Project.update({Project.url_access: "password"}).where(Project.id == project_id)
    await syncer.sync_now()

    async def password_asked() -> bool:
        asked = await _get(caddy)
        return asked.status_code == 302 and asked.headers["location"].startswith(
            "/.shoal/password?to="
        )

    # The anonymous "sign in" answer above may be reused for the decision cache period.
    await until(password_asked, 10.0)
