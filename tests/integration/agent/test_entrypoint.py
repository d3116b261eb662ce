"""A service's entrypoint replaces the image's, on a real dockerd."""

from __future__ import annotations

import docker
import httpx
import pytest

from agent import protocol as p
from shoaltest.agent import make_spec

pytestmark = pytest.mark.docker


async def test_the_entrypoint_runs_with_the_command_as_its_arguments(agent, busybox_image):
    script = "echo from-entrypoint > /www/e.txt && exec httpd -f -p 8080 -h /www"
    config = p.ServiceConfig(
        port=8080,
        entrypoint=["sh", "-c"],
        command=[script],
        health_check=p.HealthCheck(type="http", path="/e.txt", timeout_s=20),
    )
    spec = make_spec(8, [p.ServiceNode(id="web", image=busybox_image, config=config)])
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(8, "running", "failed")
        assert status.status == "running", status.error
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"http://127.0.0.1:{status.ports['web']}/e.txt")
        assert answer.text.strip() == "from-entrypoint"
        container = docker.from_env().containers.get(f"shoal-{agent.agent_id}-8-web")
        assert container.attrs["Config"]["Entrypoint"] == ["sh", "-c"]
        await client.request(p.Delete, deployment_id=8)
        await client.wait_status(8, "deleted")
    finally:
        await client.close()
