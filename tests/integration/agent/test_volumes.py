"""A deployment's volumes on a real dockerd: created on first use, shared by the services that
mount them, kept across a re-created container, and removed with the deployment."""

from __future__ import annotations

import docker
import httpx
import pytest

from agent import protocol as p
from shoaltest.agent import labelled, make_spec

pytestmark = pytest.mark.docker


def service(node_id: str, image: str, script: str, volume: p.Volume) -> p.ServiceNode:
    config = p.ServiceConfig(
        port=8080,
        command=["sh", "-c", script],
        health_check=p.HealthCheck(type="http", path="/page.txt", timeout_s=20),
        volumes=[volume],
    )
    return p.ServiceNode(id=node_id, image=image, config=config)


def volumes_of(agent_id: str) -> list[str]:
    client = docker.from_env()
    found = client.volumes.list(filters={"label": f"shoal.node={agent_id}"})
    client.close()
    return sorted(v.name for v in found)


async def test_a_volume_lives_as_long_as_its_deployment(agent, busybox_image):
    write = "echo kept > /data/page.txt && cp /data/page.txt /www/ && exec httpd -f -p 8080 -h /www"
    spec = make_spec(
        7,
        [
            service("writer", busybox_image, write, p.Volume(name="data", path="/data")),
            service(
                "reader",
                busybox_image,
                "cp /data/page.txt /www/ && exec httpd -f -p 8080 -h /www",
                p.Volume(name="data", path="/data", read_only=True),
            ),
        ],
        [("writer", "reader")],
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(7, "running", "failed")
        assert status.status == "running", status.error
        name = f"shoal-{agent.agent_id}-7-data"
        assert volumes_of(agent.agent_id) == [name]
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"http://127.0.0.1:{status.ports['reader']}/page.txt")
        assert answer.text.strip() == "kept"  # the reader sees what the writer wrote
        reader = docker.from_env().containers.get(f"shoal-{agent.agent_id}-7-reader")
        mount = reader.attrs["Mounts"][0]
        assert (mount["Name"], mount["Destination"], mount["RW"]) == (name, "/data", False)

        await client.request(p.Delete, deployment_id=7)
        await client.wait_status(7, "deleted")
        assert labelled(agent.agent_id) == ([], [])
        assert volumes_of(agent.agent_id) == []
    finally:
        await client.close()
