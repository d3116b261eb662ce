"""Nodes through the JSON API and the pages, on the real app, hub and agent."""

from __future__ import annotations

import asyncio
import json

from core import events
from core.actor import Actor
from core.services import environments
from core.tables import AuditEvent, Deployment, Node
from shoaltest.hub import deployment_on, wait_status
from shoaltest.keys import ensure_key
from shoaltest.web import ADMIN_PASSWORD, api_client


async def _environment(admin) -> int:
    ensure_key()
    actor = Actor(id=admin.id, username=admin.username, is_admin=True)
    env = await environments.create_environment(
        actor, environments.EnvironmentInput(name="qa", base_domain="qa.example.test")
    )
    return env.id


async def test_api_adds_a_node_shows_the_token_once_and_the_hub_connects(
    web_app, admin, hub, agent_factory
):
    env_id = await _environment(admin)
    agent = agent_factory(start=False)
    async with await api_client(web_app, admin) as api:
        created = await api.post(
            f"/api/v1/environments/{env_id}/nodes",
            json={"name": "n1", "host": "127.0.0.1", "port": agent.port},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["token"] in body["run_command"] and "shoal-agent" in body["run_command"]
        assert (
            body["docker_command"].startswith("docker run")
            and body["token"] in body["docker_command"]
        )
        agent.token = body["token"]
        await asyncio.to_thread(agent.start)
        await wait_status(body["id"], "online")
        node = (await api.get(f"/api/v1/nodes/{body['id']}")).json()
        assert "token" not in node and "run_command" not in node
        assert node["status"] == "online" and node["thumbprint"] == agent.thumbprint
        for field in ("agent_version", "schedulable", "enabled", "capacity", "usage"):
            assert field in node
        listed = (await api.get(f"/api/v1/environments/{env_id}/nodes")).json()
        assert [n["name"] for n in listed] == ["n1"]
        drained = await api.patch(f"/api/v1/nodes/{body['id']}", json={"schedulable": False})
        assert drained.status_code == 200 and drained.json()["schedulable"] is False
        assert drained.json()["status"] == "online"  # drain keeps the connection
        metrics = await api.get(f"/api/v1/nodes/{body['id']}/metrics")
        assert metrics.status_code == 200 and metrics.json()["capacity"]["cpus"] >= 1
        rotated = await api.post(f"/api/v1/nodes/{body['id']}/rotate-token")
        assert rotated.status_code == 200 and rotated.json()["token_pushed"] is True
        assert rotated.json()["token"] != body["token"]
    row = await Node.select(Node.token_secret_ciphertext, Node.token_hash).first().run()
    assert body["token"] not in json.dumps(row) and rotated.json()["token"] not in json.dumps(row)


async def test_api_refuses_bad_hosts_and_duplicate_addresses_with_clear_errors(web_app, admin):
    env_id = await _environment(admin)
    async with await api_client(web_app, admin) as api:
        url = f"/api/v1/environments/{env_id}/nodes"
        for host in (
            "http://node1",
            "node_1.example.com",
            "a..b",
            "-bad.example",
            "300.1.1.1",
            "node1:5000",
            "",
            "x" * 254,
        ):
            bad = await api.post(url, json={"host": host, "port": 5000})
            assert bad.status_code == 422, (host, bad.text)
            assert "host" in bad.json()["detail"].lower() or "address" in bad.json()["detail"]
        bad_port = await api.post(url, json={"host": "10.0.0.5", "port": 70000})
        assert bad_port.status_code == 422 and "port" in bad_port.json()["detail"]
        first = await api.post(url, json={"host": "Node1.Example.com", "port": 5000})
        assert first.status_code == 201 and first.json()["host"] == "node1.example.com"
        duplicate = await api.post(
            url, json={"host": "node1.example.com", "port": 5000, "name": "x"}
        )
        assert duplicate.status_code == 409 and "already uses" in duplicate.json()["detail"]
        other_port = await api.post(url, json={"host": "node1.example.com", "port": 5001})
        assert other_port.status_code == 409  # same default name "node1"
        renamed = await api.post(url, json={"host": "node1.example.com", "port": 5001, "name": "b"})
        assert renamed.status_code == 201
        v6 = await api.post(url, json={"host": "[::1]", "port": 5000, "name": "six"})
        assert v6.status_code == 201 and v6.json()["host"] == "::1"
    assert await Node.count().run() == 3
    assert await AuditEvent.count().where(AuditEvent.outcome == "refused").run() >= 9


async def test_remove_is_refused_while_deployments_live_unless_forced(web_app, admin):
    env_id = await _environment(admin)
    async with await api_client(web_app, admin) as api:
        node = (
            await api.post(f"/api/v1/environments/{env_id}/nodes", json={"host": "10.9.9.9"})
        ).json()
        deployment_id = await deployment_on(node["id"], env_id, status="running")
        refused = await api.delete(f"/api/v1/nodes/{node['id']}")
        assert refused.status_code == 409 and "live deployment" in refused.json()["detail"]
        forced = await api.delete(f"/api/v1/nodes/{node['id']}?force=true")
        assert forced.status_code == 204
        gone = await api.get(f"/api/v1/nodes/{node['id']}")
        assert gone.status_code == 404
    row = await Deployment.select(Deployment.status).where(Deployment.id == deployment_id).run()
    assert row[0]["status"] == "deleted"


async def test_non_admins_cannot_manage_nodes(web_app, admin):
    from core.services import accounts

    env_id = await _environment(admin)
    actor = Actor(id=admin.id, username=admin.username, is_admin=True)
    user = await accounts.create_user(actor, username="quinn", password="quinn-password-1")
    async with await api_client(web_app, user) as api:
        hidden = await api.post(f"/api/v1/environments/{env_id}/nodes", json={"host": "10.0.0.1"})
    assert hidden.status_code == 404  # the environment is not visible to them at all


async def test_pages_show_the_node_its_badge_chart_and_token_once(
    web_app, client, admin, hub, agent_factory
):
    env_id = await _environment(admin)
    await client.login("admin", ADMIN_PASSWORD)
    agent = agent_factory(start=False)
    page = await client.page(f"/environments/{env_id}")
    assert "Add a node" in page.text and 'sse-connect="/environments/' in page.text
    added = await client.form(
        f"/environments/{env_id}/nodes", {"host": "127.0.0.1", "port": str(agent.port)}
    )
    assert added.status_code == 201 and "shown this once" in added.text
    node = await Node.select().first().run()
    token = added.text.split('<pre id="node-token"><code>')[1].split("</code>")[0]
    agent.token = token
    await asyncio.to_thread(agent.start)
    await wait_status(node["id"], "online")
    await asyncio.sleep(2.5)  # one heartbeat for the chart
    detail = await client.page(f"/nodes/{node['id']}")
    assert detail.status_code == 200 and token not in detail.text
    assert 'class="badge online"' in detail.text and "<svg" in detail.text
    assert agent.thumbprint in detail.text
    badge = await client.get(f"/nodes/{node['id']}/badge")
    assert 'hx-trigger="sse:node-' in badge.text and "online" in badge.text
    env_page = await client.page(f"/environments/{env_id}")
    assert f'id="node-badge-{node["id"]}"' in env_page.text
    duplicate = await client.form(
        f"/environments/{env_id}/nodes", {"host": "127.0.0.1", "port": str(agent.port)}
    )
    # The environment page again, with the reason beside the host and the input kept.
    assert duplicate.status_code == 409 and "already uses 127.0.0.1" in duplicate.text
    assert f'value="{agent.port}"' in duplicate.text and 'id="ne-host"' in duplicate.text


async def test_the_environment_stream_names_events_by_node():
    from web.pages.nodes import _stream

    stream = _stream("environment:999", lambda item: f"node-{item.get('node_id')}")
    first = await anext(stream)
    assert first.comment == "connected"
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    await events.publish("environment:999", kind="status", node_id=7, status="offline")
    message = await asyncio.wait_for(waiting, 5)
    assert message.event == "node-7" and json.loads(message.data)["status"] == "offline"
    await stream.aclose()


async def test_the_node_page_shows_old_and_new_thumbprints_and_approves(web_app, client, admin):
    env_id = await _environment(admin)
    await client.login("admin", ADMIN_PASSWORD)
    async with await api_client(web_app, admin) as api:
        node = (
            await api.post(f"/api/v1/environments/{env_id}/nodes", json={"host": "10.1.2.3"})
        ).json()
    old, new = "a" * 64, "b" * 64
    await (
        Node.update({Node.thumbprint: old, Node.pending_thumbprint: new, Node.status: "untrusted"})
        .where(Node.id == node["id"])
        .run()
    )
    page = await client.page(f"/nodes/{node['id']}")
    assert old in page.text and new in page.text and "Approve the new certificate" in page.text
    assert 'class="badge untrusted"' in page.text
    approved = await client.form(f"/nodes/{node['id']}/approve-thumbprint", {})
    assert approved.status_code == 303
    row = await Node.select().where(Node.id == node["id"]).first().run()
    assert row["thumbprint"] == new and row["pending_thumbprint"] == ""
    again = await client.form(f"/nodes/{node['id']}/approve-thumbprint", {})
    assert again.status_code == 303  # nothing pending: a flash message, nothing changes
    back = await client.get(again.headers["location"])
    assert 'class="toast toast-error" role="alert"' in back.text
    assert (await Node.select().where(Node.id == node["id"]).first().run())["thumbprint"] == new


async def test_the_node_page_explains_its_room_and_takes_a_host_reserve(web_app, client, admin):
    env_id = await _environment(admin)
    node = await Node.insert(
        Node(
            environment=env_id,
            name="laptop",
            host="10.0.0.9",
            status="online",
            capacity={"cpus": 2.0, "memory_mb": 4096},
            usage={"cpu_used": 1.4, "cpu_outside": 1.2, "memory_available_mb": 3000},
        )
    ).run()
    node_id = node[0]["id"]
    await client.login("admin", ADMIN_PASSWORD)
    page = await client.page(f"/nodes/{node_id}")
    assert "Room for new deployments" in page.text and "How this is counted" in page.text
    assert "1.2 by other work on the host" in page.text and "host reserve" in page.text
    refused = await client.form(
        f"/nodes/{node_id}/switches",
        {"schedulable": "on", "enabled": "on", "cpu_reserve": "1.5", "cpu_overcommit": "9"},
    )
    assert refused.status_code == 422 and "between 1 and 4" in refused.text
    assert 'value="1.5"' in refused.text and 'value="9"' in refused.text  # what was typed stays
    saved = await client.form(
        f"/nodes/{node_id}/switches",
        {"schedulable": "on", "enabled": "on", "cpu_reserve": "1.5", "cpu_overcommit": "1.5"},
    )
    assert saved.status_code == 303
    row = await Node.select(Node.cpu_reserve, Node.cpu_overcommit).first().run()
    assert (row["cpu_reserve"], row["cpu_overcommit"]) == (1.5, 1.5)
    async with await api_client(web_app, admin) as api:
        bad = await api.patch(f"/api/v1/nodes/{node_id}", json={"cpu_reserve": -1})
        assert bad.status_code in (400, 422) and "reserve" in bad.json()["detail"]
        good = await api.patch(f"/api/v1/nodes/{node_id}", json={"cpu_overcommit": 1})
        assert good.status_code == 200 and good.json()["cpu_overcommit"] == 1.0
