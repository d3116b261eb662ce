"""Containers run confined on a real dockerd: plugins without network (unless they join the
deployment's), capabilities, privilege gain or a writable root; services without privilege gain,
with a process cap, and with the capabilities and user their catalog entry sets."""

from __future__ import annotations

import asyncio

import docker
import pytest

from agent import protocol as p
from shoaltest.agent import httpd_service, labelled, make_spec, plugin_node

pytestmark = pytest.mark.docker

NO_CAPABILITIES = "0000000000000000"


def step_outputs(client, deployment_id: int) -> dict[str, dict]:
    return {
        e.step: e.outputs
        for e in client.events
        if isinstance(e, p.StepFinished) and e.deployment_id == deployment_id and e.ok
    }


@pytest.fixture
def bridge_httpd(docker_client, busybox_image):
    """A web server on Docker's default bridge, where other containers used to reach it."""
    container = docker_client.containers.run(
        busybox_image,
        ["httpd", "-f", "-p", "8080", "-h", "/www"],
        detach=True,
        labels={"org.shoal.test": "bridge-httpd"},
    )
    try:
        container.reload()
        yield container.attrs["NetworkSettings"]["IPAddress"]
    finally:
        container.remove(force=True)


async def test_a_plugin_that_does_not_join_has_no_network_and_little_power(
    agent, plugin_image, bridge_httpd
):
    url = f"http://{bridge_httpd}:8080/"
    spec = make_spec(
        41,
        [
            plugin_node("outside", plugin_image, mode="reach", params={"url": url}),
            plugin_node("inside", plugin_image, mode="sandbox"),
        ],  # no edge: the inputs would carry the first one's mode into the second one's stdin
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(41, "running", "failed")
        assert status.status == "running", status.error
        outputs = step_outputs(client, 41)
        assert outputs["outside"]["reached"] == "no"
        inside = outputs["inside"]
        assert inside["interfaces"].split() == ["lo"]
        assert inside["root_writable"] == "no" and inside["tmp_writable"] == "yes"
        assert inside["caps"] == NO_CAPABILITIES and inside["no_new_privs"] == "1"
    finally:
        await client.close()


async def test_the_bridge_server_answers_other_containers(
    docker_client, busybox_image, bridge_httpd
):
    """The control for the test above: the server is reachable from a plain container."""
    output = docker_client.containers.run(
        busybox_image,
        ["timeout", "3", "wget", "-q", "-O", "-", f"http://{bridge_httpd}:8080/"],
        remove=True,
    )
    assert b"shoal busybox" in output


def host_config(agent_id: str, name: str) -> dict:
    client = docker.from_env()
    try:
        return client.api.inspect_container(f"shoal-{agent_id}-{name}")["HostConfig"]
    finally:
        client.close()


async def wait_for_container(agent_id: str, name: str) -> dict:
    for _ in range(100):
        try:
            return host_config(agent_id, name)
        except docker.errors.NotFound:
            await asyncio.sleep(0.1)
    raise AssertionError(f"no container {name}")


@pytest.mark.parametrize("join", [False, True])
async def test_plugin_containers_are_created_confined(agent, plugin_image, busybox_image, join):
    spec = make_spec(
        42,
        [
            httpd_service("web", busybox_image),
            plugin_node("held", plugin_image, mode="hang", join_network=join, memory_mb=64),
        ],
        [("web", "held")],
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        await client.wait_event(lambda e: isinstance(e, p.StepStarted) and e.step == "held")
        config = await wait_for_container(agent.agent_id, "42-held-apply")
        expected_network = f"shoal-{agent.agent_id}-42" if join else "none"
        assert config["NetworkMode"] == expected_network
        assert config["CapDrop"] == ["ALL"] and not config["CapAdd"]
        assert config["SecurityOpt"] == ["no-new-privileges"]
        assert config["PidsLimit"] == 256
        assert config["ReadonlyRootfs"] is True
        assert config["Tmpfs"] == {"/tmp": "rw,exec,nosuid,nodev,mode=1777,size=64m"}
        assert config["Privileged"] is False
        await client.request(p.Delete, deployment_id=42)
        await client.wait_status(42, "deleted", within=30)
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()


def capabilities(names: list[str] | None) -> list[str]:
    return sorted(name.removeprefix("CAP_") for name in names or [])


async def test_services_never_gain_privileges_and_take_the_catalog_settings(agent, busybox_image):
    spec = make_spec(
        43,
        [
            httpd_service("plain", busybox_image),
            httpd_service(
                "tuned",
                busybox_image,
                cap_add=["NET_ADMIN"],
                cap_drop=["MKNOD", "NET_RAW"],
                user="65534:65534",
            ),
        ],
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        status = await client.wait_status(43, "running", "failed")
        assert status.status == "running", status.error
        plain = host_config(agent.agent_id, "43-plain")
        assert plain["SecurityOpt"] == ["no-new-privileges"] and plain["PidsLimit"] == 2048
        assert not plain["CapAdd"] and not plain["CapDrop"] and plain["ReadonlyRootfs"] is False
        tuned = host_config(agent.agent_id, "43-tuned")
        assert tuned["SecurityOpt"] == ["no-new-privileges"] and tuned["PidsLimit"] == 2048
        assert capabilities(tuned["CapAdd"]) == ["NET_ADMIN"]
        assert capabilities(tuned["CapDrop"]) == ["MKNOD", "NET_RAW"]
        docker_client = docker.from_env()
        try:
            container = docker_client.containers.get(f"shoal-{agent.agent_id}-43-tuned")
            assert container.attrs["Config"]["User"] == "65534:65534"
            who = container.exec_run(["id", "-u"])
            assert who.output.decode().strip() == "65534"
            status_lines = container.exec_run(["cat", "/proc/1/status"]).output.decode()
            assert "NoNewPrivs:\t1" in status_lines
        finally:
            docker_client.close()
    finally:
        await client.close()
