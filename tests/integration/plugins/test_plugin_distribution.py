"""Plugin distribution on the real parts: a leading hub holds two real agents over TLS, one on
the main dockerd and one on a dockerd of the test's own whose network namespace cannot reach the
test registry (which wants credentials). Saving a plugin tells both agents at once, on the
sessions they already have; each pulls in the background with the registry's credentials and
reports its own state (present on one node, failed with the reason on the other), which the
plugin page shows per node. A changed tag goes out the same way; the credentials never reach an
agent's disk or log."""

from __future__ import annotations

import asyncio
from pathlib import Path

import docker
import httpx
import msgspec
import pytest

from core.services import nodes, plugins, registries
from core.tables import Node
from shoaltest.hub import until, wait_status
from shoaltest.web import ADMIN_PASSWORD, WebClient

pytestmark = pytest.mark.docker


async def node_with_agent(agent_factory, actor, env_id: int, name: str, **agent_kwargs):
    process = agent_factory(start=False, **agent_kwargs)
    node = await nodes.add_node(
        actor, env_id, nodes.NodeInput(host="127.0.0.1", port=process.port, name=name)
    )
    process.token = node.token
    await asyncio.to_thread(process.start)
    await wait_status(node.id, "online")
    return node, process


async def reported(node_id: int, image: str, state: str) -> dict | None:
    row = await (
        Node.select(Node.plugin_images)
        .where(Node.id == node_id)
        .output(load_json=True)
        .first()
        .run()
    )
    entry = (row["plugin_images"] or {}).get(image) if row else None
    return entry if entry and entry["state"] == state else None


def on_disk(data_dir: Path, text: str) -> list[str]:
    return [str(f) for f in data_dir.rglob("*") if f.is_file() and text.encode() in f.read_bytes()]


async def test_each_node_pulls_a_saved_plugin_at_once_and_reports_its_own_state(
    hub, hub_env, agent_factory, registry, pushed_seed, isolated_dockerd, web_app, admin
):
    actor, env_id = hub_env
    node_a, agent_a = await node_with_agent(agent_factory, actor, env_id, "reaches")
    node_b, agent_b = await node_with_agent(
        agent_factory, actor, env_id, "cut-off", env={"DOCKER_HOST": isolated_dockerd.host}
    )
    sessions = {n: hub.connections[n].session for n in (node_a.id, node_b.id)}
    local = await registries.create_registry(
        actor,
        registries.RegistryInput(
            name="local", url=registry.url, username=registry.username, password=registry.password
        ),
    )
    made = plugins.PluginInput(name="seed", registry_id=local.id, image="dist/seed", tag="1.0")
    seed = await plugins.create_plugin(actor, made)

    # Both agents heard it on the session they had: no reconnect, no wait for the next sync.
    present = await until(lambda: reported(node_a.id, pushed_seed["1.0"], "present"), 60, every=0.2)
    failed = await until(lambda: reported(node_b.id, pushed_seed["1.0"], "failed"), 60, every=0.2)
    assert present["name"] == "seed" and present["error"] == ""
    assert "connection refused" in failed["error"] and pushed_seed["1.0"] in failed["error"]
    assert all(hub.connections[n].session is s for n, s in sessions.items())
    docker.from_env().images.get(pushed_seed["1.0"])  # really pulled on node A's dockerd
    with pytest.raises(docker.errors.ImageNotFound):
        isolated_dockerd.client().images.get(pushed_seed["1.0"])

    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    async with WebClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.login("admin", ADMIN_PASSWORD)).status_code == 303
        page = (await client.page(f"/plugins/{seed.id}")).text
    section = page[page.index('id="plugin-nodes"') :]
    assert node_a.name in section and node_b.name in section
    assert ">present<" in section and ">failed<" in section
    assert "connection refused" in section

    # A new tag goes out the same way; B still cannot have it, A pulls it.
    await plugins.update_plugin(actor, seed.id, msgspec.structs.replace(made, tag="2.0"))
    await until(lambda: reported(node_a.id, pushed_seed["2.0"], "present"), 60, every=0.2)
    await until(lambda: reported(node_b.id, pushed_seed["2.0"], "failed"), 60, every=0.2)
    row = await (
        Node.select(Node.plugin_images)
        .where(Node.id == node_a.id)
        .output(load_json=True)
        .first()
        .run()
    )
    assert list(row["plugin_images"]) == [pushed_seed["2.0"]]  # the old tag is no longer tracked

    for agent in (agent_a, agent_b):
        assert on_disk(agent.data_dir, registry.password) == []
        assert registry.password not in agent.log_text()
