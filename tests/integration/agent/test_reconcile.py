"""Reconciliation: crash recovery, orphans, stopped and missing services."""

from __future__ import annotations

import asyncio

import docker
import pytest

from agent import protocol as p
from shoaltest.agent import httpd_service, labelled, make_spec, plugin_node

pytestmark = pytest.mark.docker


def crash_spec(deployment_id: int, busybox_image: str, plugin_image: str) -> p.DeploymentSpec:
    return make_spec(
        deployment_id,
        [
            plugin_node("prepare", plugin_image),
            httpd_service("web", busybox_image),
            plugin_node("slow", plugin_image, mode="slow"),
            httpd_service("api", busybox_image),
        ],
        [("prepare", "web"), ("web", "slow"), ("slow", "api")],
        secrets={"TOKEN": "t0p"},
    )


async def kill_mid_pipeline(agent, spec: p.DeploymentSpec) -> None:
    client = await agent.client()
    await client.request(p.Deploy, spec=spec)
    await client.wait_event(lambda e: isinstance(e, p.StepStarted) and e.step == "slow")
    slow = f"/shoal-{agent.agent_id}-{spec.id}-slow-apply"
    for _ in range(100):  # the plugin container must exist: it has to be cleaned up too
        if slow in labelled(agent.agent_id)[0]:
            break
        await asyncio.sleep(0.1)
    agent.kill()
    await client.close()
    containers, networks = labelled(agent.agent_id)
    assert len(containers) >= 2 and len(networks) == 1  # web and the slow plugin were left


async def test_kill_9_mid_pipeline_then_sync_ends_running_without_orphans(
    agent, busybox_image, plugin_image
):
    spec = crash_spec(11, busybox_image, plugin_image)
    await kill_mid_pipeline(agent, spec)
    agent.start()
    client = await agent.client()
    try:
        await client.request(p.Sync, deployments=[spec])
        status = await client.wait_status(11, "running", "failed", within=60)
        assert status.status == "running", status.error
        containers, networks = labelled(agent.agent_id)
        assert sorted(containers) == sorted(
            [f"/shoal-{agent.agent_id}-11-web", f"/shoal-{agent.agent_id}-11-api"]
        )
        assert networks == [f"shoal-{agent.agent_id}-11"]
        # the interrupted run's succeeded plugin was rolled back before the re-run
        assert any(
            isinstance(e, p.StepFinished) and e.action == "rollback" and e.step == "prepare"
            for e in client.events
        )
    finally:
        await client.close()


async def test_kill_9_mid_pipeline_then_sync_without_it_removes_everything(
    agent, busybox_image, plugin_image
):
    await kill_mid_pipeline(agent, crash_spec(12, busybox_image, plugin_image))
    agent.start()
    client = await agent.client()
    try:
        reply = await client.request(p.Sync, deployments=[])
        assert [d.status for d in reply.deployments] == ["deleting"]
        await client.wait_status(12, "deleted", within=60)
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()


async def test_sync_removes_orphans_and_restores_services(agent, busybox_image):
    spec = make_spec(13, [httpd_service("web", busybox_image), httpd_service("api", busybox_image)])
    client = await agent.client()
    docker_client = docker.from_env()
    try:
        await client.request(p.Deploy, spec=spec)
        first = await client.wait_status(13, "running", "failed")
        assert first.status == "running", first.error
        labels = {"shoal.node": agent.agent_id, "shoal.deployment": "999"}
        docker_client.networks.create(f"orphan-{agent.agent_id}", labels=labels)
        docker_client.containers.create(busybox_image, "sleep 600", labels=labels)
        docker_client.containers.get(f"shoal-{agent.agent_id}-13-web").stop(timeout=1)
        docker_client.containers.get(f"shoal-{agent.agent_id}-13-api").remove(force=True)
        client.events.clear()

        await client.request(p.Sync, deployments=[spec])
        repaired = await client.wait_status(13, "running")
        assert repaired.ports == first.ports  # recreated at its old port: the same URLs
        expected = (
            [f"/shoal-{agent.agent_id}-13-api", f"/shoal-{agent.agent_id}-13-web"],
            [f"shoal-{agent.agent_id}-13"],
        )
        for _ in range(50):  # orphans go in the same reconcile pass, just after the repair
            containers, networks = labelled(agent.agent_id)
            if (sorted(containers), networks) == expected:
                break
            await asyncio.sleep(0.2)
        assert (sorted(containers), networks) == expected
        web = docker_client.containers.get(f"shoal-{agent.agent_id}-13-web")
        assert web.status == "running"
    finally:
        await client.close()
        docker_client.close()
