"""A node comes back after being offline: what its agent does not report (its containers and
its record of them are gone) does not stay `offline`. The control plane's desired state is the
truth: such a deployment is deployed again from it, or marked failed with the reason when its
spec cannot be built any more; one that cannot be built but that the agent still runs keeps
running. Real parts: the services, the SAQ worker, the hub, an agent process, dockerd.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from core import crypto, runtime
from core.jobs import make_worker
from core.settings import Settings
from core.tables import Secret
from shoaltest.agent import labelled, remove_labelled
from shoaltest.httpd_project import deploy, deployment_reaches, deployment_row, httpd_project
from shoaltest.hub import add_node_with_agent, until, wait_status

pytestmark = pytest.mark.docker


async def answers(port: int) -> bool:
    async with httpx.AsyncClient() as client:
        try:
            return (await client.get(f"http://127.0.0.1:{port}/", timeout=3)).status_code == 200
        except httpx.HTTPError:
            return False


def forget_state(data_dir: Path) -> None:
    """The agent's record of its deployments, gone (a replaced machine, a lost disk); its key
    and certificate stay, so the node is still trusted."""
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"state.db{suffix}").unlink(missing_ok=True)


async def test_a_returning_node_recreates_what_it_lost_or_fails_it_with_the_reason(
    hub, hub_env, agent_factory, busybox_image, queue
):
    admin, env_id = hub_env
    runtime.install(settings=Settings())
    node, agent = await add_node_with_agent(agent_factory, admin, env_id)
    await wait_status(node.id, "online")
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    try:
        plain = await httpd_project(admin, "plain")
        sealed = await httpd_project(admin, "sealed", project_secrets={"TOKEN": "t0p-s3cret"})
        kept = await deploy(admin, plain, env_id, "pr-1")
        lost = await deploy(admin, sealed, env_id, "pr-2")
        for deployment_id in (kept, lost):
            row = await deployment_reaches(deployment_id, "running", "failed")
            assert row["status"] == "running", row["error"]
        ports = (await deployment_row(kept))["ports"]

        # The sealed project's secret no longer opens under this master key (a database
        # restored next to another key): its deployment's spec cannot be built any more.
        other_key = crypto.SecretBox(crypto.generate_key())
        sealed_elsewhere = other_key.encrypt("t0p-s3cret", crypto.secret_context(sealed, "TOKEN"))
        await (
            Secret.update({Secret.ciphertext: sealed_elsewhere})
            .where(Secret.project == sealed)
            .run()
        )

        # 1. The agent restarts with its record and its containers: it is sent the spec it can
        # be sent, keeps the other as it is, and both are running again.
        agent.kill()
        await wait_status(node.id, "offline", within=15)
        for deployment_id in (kept, lost):
            await deployment_reaches(deployment_id, "offline", within=15)
        await asyncio.to_thread(agent.start)
        await wait_status(node.id, "online", within=30)
        for deployment_id in (kept, lost):
            row = await deployment_reaches(deployment_id, "running", "failed", within=30)
            assert row["status"] == "running", row["error"]

        # 2. The machine comes back empty: no containers, no record. The one it can be sent is
        # deployed again at the same ports; the other is failed, saying why.
        agent.kill()
        await wait_status(node.id, "offline", within=15)
        await asyncio.to_thread(remove_labelled, agent.agent_id)
        forget_state(agent.data_dir)
        await asyncio.to_thread(agent.start)
        await wait_status(node.id, "online", within=30)

        failed = await deployment_reaches(lost, "failed", "running", within=60)
        assert failed["status"] == "failed"
        assert "cannot be re-created" in failed["error"]
        assert "TOKEN" in failed["error"] and "rotate-key" in failed["error"]
        assert "t0p-s3cret" not in failed["error"]
        again = await deployment_reaches(kept, "running", "failed", within=90)
        assert again["status"] == "running", again["error"]
        assert set(again["ports"]) == set(ports) == {"web"}
        await until(lambda: answers(again["ports"]["web"]), 30, every=0.3)
        containers, _ = await asyncio.to_thread(labelled, agent.agent_id)
        assert containers == [f"/shoal-{agent.agent_id}-{kept}-web"]
    finally:
        await worker.stop()
        worker_task.cancel()
