"""Wake on request (issue 20), with every real part: the services, SAQ worker, hub, an agent
process, dockerd, Caddy and the control plane served by uvicorn. A request through Caddy to a
sleeping deployment's host wakes it: the browser gets a "waking up" page that reloads itself,
an API client a 503 with Retry-After, and then the app; twenty requests at once make one wake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest

from core import crypto, runtime
from core.hub import Hub
from core.ingress import options_from
from core.ingress.caddy import CaddyAdmin
from core.ingress.hostnames import hostname
from core.ingress.running import RunningIngress
from core.ingress.syncer import IngressSyncer
from core.jobs import make_queue, make_worker
from core.services import naps
from core.settings import Settings
from core.tables import AuditEvent
from shoaltest.httpd_project import deploy, deployment_reaches, httpd_project
from shoaltest.hub import add_node_with_agent, fast_hub_config, started_hub, until, wait_status
from shoaltest.served import served

pytestmark = pytest.mark.docker

HTML = {"Accept": "text/html,application/xhtml+xml"}


@dataclass
class Scene:
    admin: Any
    deployment_id: int
    host: str
    port: int
    syncer: IngressSyncer

    async def get(self, headers: dict | None = None) -> httpx.Response:
        """One request on a fresh connection, as a visitor sends it to Caddy."""
        async with httpx.AsyncClient(timeout=20) as client:
            sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
            return await client.get(f"http://127.0.0.1:{self.port}/", headers=sent)

    async def asleep(self) -> None:
        await naps.sleep(self.admin, self.deployment_id)
        await deployment_reaches(self.deployment_id, "sleeping", within=30)
        await self.syncer.sync_now()  # the hosts now go to the control plane


async def wakes() -> list[dict]:
    return await AuditEvent.select(AuditEvent.actor_name).where(
        (AuditEvent.action == "deployment.wake") & (AuditEvent.actor_name == "wake-on-request")
    )


@pytest.fixture
async def hub(db: str) -> AsyncIterator[Hub]:
    """The `hub` fixture's, with a patient heartbeat timeout: twenty requests through Caddy,
    the control plane and a busy shared machine may delay the agent's beats past 4 s, and this
    test is about wakes, not about dead connections."""
    runtime.install(box=crypto.SecretBox(crypto.generate_key()))
    made = await started_hub(db, fast_hub_config(heartbeat_timeout_s=20.0))
    runtime.install(hub=made)

    async def leading() -> bool:
        return made.is_leader

    await until(leading, 10)
    yield made
    await made.stop()


@pytest.fixture
async def queue(database: str) -> AsyncIterator[object]:
    """A real SAQ queue on the test database (as deployments/conftest.py makes one)."""
    made = make_queue(database, 2)
    await made.connect()
    runtime.install(queue=made)
    yield made
    await made.disconnect()


@pytest.fixture
async def scene(
    hub, hub_env, agent_factory, busybox_image, queue, web_app, caddy
) -> AsyncIterator[Scene]:
    admin, env_id = hub_env
    # The ingress goes into the runtime before the worker starts (its jobs' tasks inherit
    # it); its syncer is set once the deployment runs: lifecycle moves resync it.
    running = RunningIngress()
    runtime.install(settings=Settings(), ingress=running)
    node, _agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    project_id = await httpd_project(admin, "shop", services=("web",))
    deployment_id = await deploy(admin, project_id, env_id, "pr-42")
    row = await deployment_reaches(deployment_id, "running", "failed")
    assert row["status"] == "running", row["error"]
    async with served(web_app) as base:
        options = msgspec.structs.replace(
            options_from(caddy.settings()), control_plane=base.removeprefix("http://")
        )
        syncer = IngressSyncer(CaddyAdmin(caddy.admin_url, timeout=5), options, owns_caddy=True)
        running.syncer = syncer
        await syncer.start()
        await syncer.sync_now()
        host = hostname("web", "pr-42", "qa", "qa.example.test")
        try:
            yield Scene(admin, deployment_id, host, caddy.ingress_port, syncer)
        finally:
            await syncer.stop()
            await worker.stop()
            worker_task.cancel()


async def test_one_request_wakes_it_the_browser_gets_a_page_that_reloads_then_the_app(scene):
    async def app_answers() -> bool:
        try:
            got = await scene.get()
            return got.status_code == 200
        except httpx.HTTPError:  # a reload closes the connection it came on
            return False

    assert await until(app_answers, 20, every=0.2)
    await scene.asleep()

    page = await scene.get(HTML)

    assert page.status_code == 503, page.text
    assert page.headers["retry-after"] == "2" and page.headers["cache-control"] == "no-store"
    assert "Waking up pr-42" in page.text
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert "<script" not in page.text
    await deployment_reaches(scene.deployment_id, "waking", "running", within=10)
    assert await until(app_answers, 60, every=0.3)
    assert len(await wakes()) == 1


async def test_twenty_requests_at_once_make_one_wake_api_clients_get_503_json(scene):
    async def app_answers() -> bool:
        try:
            return (await scene.get()).status_code == 200
        except httpx.HTTPError:  # a reload closes the connection it came on
            return False

    assert await until(app_answers, 20, every=0.2)
    await scene.asleep()

    answers = await asyncio.gather(
        *(scene.get(HTML if n % 2 else {"Accept": "application/json"}) for n in range(20))
    )

    assert {a.status_code for a in answers} == {503}, [a.text[:200] for a in answers]
    api = answers[0]
    assert api.headers["retry-after"] == "2", api.text
    assert api.json()["status_code"] == 503 and "Waking up pr-42" in api.json()["detail"]
    assert len(await wakes()) == 1
    back = await deployment_reaches(scene.deployment_id, "running", "sleeping", within=60)
    assert back["status"] == "running", back["error"]
    assert await until(app_answers, 30, every=0.3)
    assert len(await wakes()) == 1
