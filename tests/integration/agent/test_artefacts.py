"""The built agent: the Nuitka executable and the offline image, each deploying for real.

Both need `bash build/agent.sh --image` first. Without the artefacts these tests are skipped,
unless SHOAL_AGENT_BUILT=1 (as `make test` sets), where a missing artefact fails. Under
`make test` the build runs next to the suite: `built_agent` waits for it and these tests run last.
"""

from __future__ import annotations

import asyncio
import os
import secrets

import docker
import pytest

from agent import __version__
from agent import protocol as p
from shoaltest.agent import REPO, AgentClient, httpd_service, make_spec, remove_labelled
from shoaltest.ports import free_port

BINARY = REPO / "build/out/shoal-agent"
IMAGE = f"shoal/agent:{__version__}"
REQUIRED = os.environ.get("SHOAL_AGENT_BUILT") == "1"

pytestmark = pytest.mark.docker


def image_exists() -> bool:
    try:
        docker.from_env().images.get(IMAGE)
        return True
    except docker.errors.ImageNotFound:
        return False


def require(present: bool, what: str) -> None:
    if present:
        return
    if REQUIRED:
        pytest.fail(f"{what} is missing although SHOAL_AGENT_BUILT=1")
    pytest.skip(f"{what} not built: run `bash build/agent.sh --image`")


async def deploy_and_delete(client: AgentClient, busybox_image: str) -> None:
    await client.request(p.Deploy, spec=make_spec(31, [httpd_service("web", busybox_image)]))
    status = await client.wait_status(31, "running", "failed", within=60)
    assert status.status == "running", status.error
    await client.request(p.Delete, deployment_id=31)
    await client.wait_status(31, "deleted", within=60)


async def test_the_executable_serves_and_deploys(built_agent, agent_factory, busybox_image):
    require(BINARY.exists(), str(BINARY))
    agent = agent_factory(command=[str(BINARY)])
    assert agent.startup_line.startswith(f"shoal-agent {__version__} listening on")
    client = await agent.client()
    try:
        assert client.welcome.agent_version == __version__
        await deploy_and_delete(client, busybox_image)
    finally:
        await client.close()


async def test_the_image_serves_and_deploys(built_agent, busybox_image, tmp_path):
    require(image_exists(), IMAGE)
    token, port, agent_id = secrets.token_urlsafe(16), free_port(), "c" + secrets.token_hex(4)
    name = f"shoal-agent-test-{agent_id}"
    docker_client = docker.from_env()
    # Host networking so the agent's health checks reach ports published on 127.0.0.1.
    container = docker_client.containers.run(
        IMAGE,
        ["--listen", f"127.0.0.1:{port}", "--data", "/data", "--agent-id", agent_id],
        name=name,
        detach=True,
        network_mode="host",
        environment={"AGENT_TOKEN": token},
        volumes={
            "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"},
            str(tmp_path): {"bind": "/data", "mode": "rw"},
        },
    )
    try:
        line = ""
        for _ in range(300):  # up to 30 s
            line = container.logs().decode()
            if "listening on" in line:
                break
            await asyncio.sleep(0.1)
        assert "listening on" in line, line
        thumbprint = line.split(" thumbprint ")[1].split()[0]
        client = await AgentClient.connect(f"wss://127.0.0.1:{port}/", token, thumbprint=thumbprint)
        try:
            await deploy_and_delete(client, busybox_image)
        finally:
            await client.close()
    finally:
        container.remove(force=True)
        remove_labelled(agent_id)
