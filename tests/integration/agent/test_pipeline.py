"""Deployments on a real dockerd: services, plugins, references, limits, idempotency."""

from __future__ import annotations

import docker
import httpx
import pytest

from agent import protocol as p
from shoaltest.agent import httpd_service, labelled, make_spec, plugin_node

pytestmark = pytest.mark.docker


async def test_services_and_a_plugin_run_with_resolved_references(
    agent, busybox_image, plugin_image
):
    spec = make_spec(
        1,
        [
            plugin_node("setup", plugin_image, params={"db": "${{ deployment.name }}"}),
            httpd_service(
                "api",
                busybox_image,
                env={
                    "GREETING": "${{ nodes.setup.outputs.greeting }}",
                    "PASSWORD": "${{ secrets.DB_PASSWORD }}",
                    "FRONT": "${{ urls.web }}",
                },
            ),
            httpd_service("web", busybox_image, cpu=0.25, memory_mb=64),
        ],
        [("setup", "api"), ("api", "web")],
        secrets={"DB_PASSWORD": "hunter2-secret"},
        urls={"web": "http://web.dep1.qa.example", "api": "http://api.dep1.qa.example"},
    )
    client = await agent.client()
    try:
        reply = await client.request(p.Deploy, spec=spec)
        assert reply.deployments[0].status == "deploying"
        status = await client.wait_status(1, "running", "failed")
        assert status.status == "running", status.error
        assert set(status.ports) == {"api", "web"} and status.publish_address == "127.0.0.1"
        async with httpx.AsyncClient() as http:
            for port in status.ports.values():
                answer = await http.get(f"http://127.0.0.1:{port}/")
                assert answer.text.strip() == "shoal busybox"
        finished = [e for e in client.events if isinstance(e, p.StepFinished)]
        assert [e.step for e in finished] == ["setup", "api", "web"] and all(e.ok for e in finished)
        doc = finished[0].outputs["doc"]
        assert doc["action"] == "apply" and doc["params"] == {"mode": "ok", "db": "dep1"}
        assert doc["deployment"]["name"] == "dep1" and doc["secrets"] == {
            "DB_PASSWORD": "hunter2-secret"
        }
        assert any(
            isinstance(e, p.LogLine) and e.line == "plugin apply starting" for e in client.events
        )

        docker_client = docker.from_env()
        api = docker_client.containers.get(f"shoal-{agent.agent_id}-1-api")
        env = dict(item.split("=", 1) for item in api.attrs["Config"]["Env"])
        assert env["GREETING"] == "hello" and env["PASSWORD"] == "hunter2-secret"
        assert env["FRONT"] == "http://web.dep1.qa.example"
        assert api.labels == {
            "shoal.node": agent.agent_id,
            "shoal.deployment": "1",
            "shoal.step": "api",
        }
        web = docker_client.containers.get(f"shoal-{agent.agent_id}-1-web")
        assert web.attrs["HostConfig"]["NanoCpus"] == 250_000_000
        assert web.attrs["HostConfig"]["Memory"] == 64 * 2**20
        assert web.attrs["HostConfig"]["Init"] is True
        # api had no limit: it gets what the project leaves after web and the plugin's share
        assert 0 < api.attrs["HostConfig"]["NanoCpus"] <= 2e9 - 250_000_000
        network = docker_client.networks.get(f"shoal-{agent.agent_id}-1")
        assert network.attrs["IPAM"]["Config"][0]["Subnet"].startswith("10.213.")

        # the same deploy again changes nothing: no duplicate containers
        before = labelled(agent.agent_id)
        again = await client.request(p.Deploy, spec=spec)
        assert again.deployments[0].status == "running"
        assert labelled(agent.agent_id) == before

        state = (await client.request(p.GetState)).deployments[0]
        assert state.status == "running" and [s.status for s in state.steps] == ["succeeded"] * 3
    finally:
        await client.close()
    stored = b"".join(f.read_bytes() for f in agent.data_dir.glob("state.db*"))
    assert b"hunter2-secret" not in stored
    assert "hunter2-secret" not in agent.log_text()


async def deploy_and_wait(client, spec, *, within: float = 60):
    await client.request(p.Deploy, spec=spec)
    return await client.wait_status(spec.id, "running", "failed", within=within)


def rollbacks(client, deployment_id: int) -> list[str]:
    return [
        e.step
        for e in client.events
        if isinstance(e, p.StepFinished)
        and e.action == "rollback"
        and e.deployment_id == deployment_id
    ]


async def test_a_failing_plugin_rolls_back_newest_first_and_leaves_nothing(
    agent, busybox_image, plugin_image
):
    spec = make_spec(
        2,
        [
            plugin_node("first", plugin_image),
            plugin_node("second", plugin_image),
            httpd_service("web", busybox_image),
            plugin_node("breaks", plugin_image, mode="fail"),
        ],
        [("first", "second"), ("second", "web"), ("web", "breaks")],
    )
    client = await agent.client()
    try:
        status = await deploy_and_wait(client, spec)
        assert status.status == "failed"
        assert "breaks" in status.error and "exited with code 3" in status.error
        assert "boom: exiting 3" in status.error
        assert rollbacks(client, 2) == ["second", "first"]
        assert any(
            isinstance(e, p.LogLine) and e.line == "plugin rollback starting" for e in client.events
        )
        assert labelled(agent.agent_id) == ([], [])
        state = (await client.request(p.GetState)).deployments[0]
        assert state.status == "failed"
    finally:
        await client.close()


@pytest.mark.parametrize(
    "mode, timeout_s, message",
    [
        ("nonjson", 300, "printed invalid JSON on stdout: 'this is not json"),
        ("hang", 2, "timed out after 2 s"),
        ("flood", 300, "printed more than 1048576 bytes on stdout"),
    ],
)
async def test_misbehaving_plugins_fail_the_step_cleanly(
    agent, plugin_image, mode, timeout_s, message
):
    spec = make_spec(3, [plugin_node("bad", plugin_image, mode=mode, timeout_s=timeout_s)])
    client = await agent.client()
    try:
        status = await deploy_and_wait(client, spec)
        assert status.status == "failed" and message in status.error
        assert labelled(agent.agent_id) == ([], [])
        assert isinstance(await client.request(p.GetState), p.DeploymentsReply)
    finally:
        await client.close()


async def test_an_image_that_does_not_exist_fails_with_the_pull_error(agent, busybox_image):
    spec = make_spec(4, [httpd_service("web", "shoal-test/does-not-exist:nope")])
    client = await agent.client()
    try:
        status = await deploy_and_wait(client, spec)
        assert status.status == "failed" and "pull shoal-test/does-not-exist:nope" in status.error
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()


async def test_limits_over_the_project_are_refused_before_anything_starts(agent, busybox_image):
    spec = make_spec(5, [httpd_service("web", busybox_image, cpu=4.0)], cpu=1.0)
    client = await agent.client()
    try:
        status = await deploy_and_wait(client, spec)
        assert status.status == "failed" and "more CPU than the project allows" in status.error
        assert labelled(agent.agent_id) == ([], [])
    finally:
        await client.close()


async def test_delete_during_a_run_stops_the_step_and_rolls_back(
    agent, busybox_image, plugin_image
):
    spec = make_spec(
        6,
        [plugin_node("ok", plugin_image), plugin_node("stuck", plugin_image, mode="hang")],
        [("ok", "stuck")],
    )
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=spec)
        await client.wait_event(lambda e: isinstance(e, p.StepStarted) and e.step == "stuck")
        reply = await client.request(p.Delete, deployment_id=6)
        assert reply.deployments[0].status == "deleting"
        await client.wait_status(6, "deleted", within=30)
        assert rollbacks(client, 6) == ["ok"]
        statuses = [e.status for e in client.events if isinstance(e, p.DeploymentStatus)]
        assert statuses == ["deploying", "deleting", "deleted"]  # no "failed" on the way
        assert labelled(agent.agent_id) == ([], [])
        assert (await client.request(p.GetState)).deployments == []
        again = await client.request(p.Delete, deployment_id=6)  # idempotent
        assert again.deployments[0].status == "deleted"
    finally:
        await client.close()


async def test_pulls_use_the_run_message_credentials(agent, busybox_image, registry):
    image = registry.push(busybox_image, "agent-test/httpd", "v1")
    good = p.RegistryCredential(
        registry=registry.host, username=registry.username, password=registry.password
    )
    bad = p.RegistryCredential(
        registry=registry.host, username=registry.username, password="wrong-password"
    )
    client = await agent.client()
    try:
        refused = await deploy_and_wait(
            client, make_spec(7, [httpd_service("web", image)], registry_credentials=[bad])
        )
        assert refused.status == "failed" and f"pull {image}" in refused.error
        status = await deploy_and_wait(
            client, make_spec(8, [httpd_service("web", image)], registry_credentials=[good])
        )
        assert status.status == "running", status.error
        assert any(isinstance(e, p.PullProgress) and e.deployment_id == 8 for e in client.events)
    finally:
        await client.close()
    assert "wrong-password" not in agent.log_text() and registry.password not in agent.log_text()


async def test_a_plugin_joins_its_own_deployment_network_only(agent, busybox_image, plugin_image):
    joined = make_spec(
        9,
        [
            httpd_service("web", busybox_image),
            plugin_node("check", plugin_image, mode="probe", join_network=True),
        ],
        [("web", "check")],
    )
    # Another deployment's plugin, even on its own network, cannot reach deployment 9's web.
    other = make_spec(10, [plugin_node("check", plugin_image, mode="probe", join_network=True)])
    client = await agent.client()
    try:
        status = await deploy_and_wait(client, joined)
        assert status.status == "running", status.error
        isolated = await deploy_and_wait(client, other)
        assert isolated.status == "failed" and "web unreachable" in isolated.error
    finally:
        await client.close()


async def test_a_resent_deploy_during_the_run_starts_nothing_new(
    agent, busybox_image, plugin_image
):
    spec = make_spec(
        14,
        [plugin_node("slow", plugin_image, mode="slow"), httpd_service("web", busybox_image)],
        [("slow", "web")],
    )
    client = await agent.client()
    try:
        first = await client.request(p.Deploy, spec=spec)
        await client.wait_event(lambda e: isinstance(e, p.StepStarted) and e.step == "slow")
        again = await client.request(p.Deploy, spec=spec)  # e.g. resent after a reconnect
        assert first.deployments[0].status == again.deployments[0].status == "deploying"
        status = await client.wait_status(14, "running", "failed")
        assert status.status == "running", status.error
        started = [e.step for e in client.events if isinstance(e, p.StepStarted)]
        assert started == ["slow", "web"]
        assert labelled(agent.agent_id)[0] == [f"/shoal-{agent.agent_id}-14-web"]
    finally:
        await client.close()
