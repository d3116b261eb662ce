"""The web terminal's WebSocket with every real part: services, SAQ worker, hub, an agent
process, dockerd, the app behind uvicorn (issue 23). A shell echoes, a resize changes `stty
size`, a 100 MB flood with a client that stops reading stays bounded and the session lives on,
read access is refused before anything runs, and an agent that dies ends the session clearly."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from core import runtime
from core.actor import Actor
from core.jobs import make_worker
from core.services import accounts, api_tokens, teams, terminals
from core.settings import Settings
from core.tables import AuditEvent, Environment
from shoaltest.httpd_project import deploy, deployment_reaches, httpd_project
from shoaltest.hub import add_node_with_agent, started_hub, until, wait_status
from shoaltest.served import served

pytestmark = pytest.mark.docker


@dataclass
class Terminal:
    deployment_id: int
    base_url: str
    admin_token: str
    reader_token: str
    agent: Any

    def url(self, **query: Any) -> str:
        ws = self.base_url.replace("http://", "ws://")
        params = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{ws}/deployments/{self.deployment_id}/services/web/terminal/ws?{params}"

    def open(self, token: str | None = None, **query: Any) -> Any:
        auth = {"Authorization": f"Bearer {token or self.admin_token}"}
        return connect(self.url(**query), additional_headers=auth, max_size=2**22)


@pytest.fixture
async def terminal(
    hub, hub_env, agent_factory, busybox_image, queue, web_app
) -> AsyncIterator[Terminal]:
    admin_actor, env_id = hub_env
    runtime.install(settings=Settings())
    node, agent = await add_node_with_agent(agent_factory, admin_actor, env_id)
    await wait_status(node.id, "online")
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    try:
        project = await httpd_project(admin_actor, "shop")
        deployment_id = await deploy(admin_actor, project, env_id, "pr-1")
        row = await deployment_reaches(deployment_id, "running", "failed")
        assert row["status"] == "running", row["error"]
        system = Actor.system("tests")
        admin = await accounts.create_user(
            system, username="root", password="root-password-1", is_admin=True
        )
        reader = await accounts.create_user(system, username="rita", password="rita-password-1")
        team = await teams.create_team(admin_actor, "readers")
        await teams.add_member(admin_actor, team.id, reader.id)
        await teams.grant(admin_actor, team.id, "project", project, "read")
        tokens = []
        for user in (admin, reader):
            actor = Actor(id=user.id, username=user.username, is_admin=user.is_admin)
            tokens.append((await api_tokens.create_token(actor, "terminal")).token)
        async with served(web_app) as base_url:
            yield Terminal(deployment_id, base_url, tokens[0], tokens[1], agent)
    finally:
        await worker.stop()
        worker_task.cancel()


async def read_until(ws: ClientConnection, wanted: bytes, within: float = 20) -> bytes:
    seen = b""
    try:
        async with asyncio.timeout(within):
            while wanted not in seen:
                frame = await ws.recv()
                if isinstance(frame, str):
                    raise AssertionError(f"the terminal ended: {frame} (output: {seen[-300:]!r})")
                seen += frame
                await ws.send(json.dumps({"type": "ack", "size": len(frame)}))
    except TimeoutError:
        raise AssertionError(f"no {wanted!r} within {within} s; output: {seen[-300:]!r}") from None
    return seen


async def test_a_shell_echoes_and_a_resize_changes_stty_size(terminal):
    async with terminal.open(cols=100, rows=30) as ws:
        await ws.send(b"echo hel''lo\r")  # the quotes keep the typed line from matching
        await read_until(ws, b"hello\r\n")
        await ws.send(json.dumps({"type": "resize", "cols": 123, "rows": 45}))
        await ws.send(b"stty size\r")
        await read_until(ws, b"45 123")
        await ws.send(b"exit 7\r")
        async with asyncio.timeout(20):
            while isinstance(frame := await ws.recv(), bytes):
                pass
        assert json.loads(frame) == {"type": "ended", "detail": "the shell ended (exit 7)"}

    async def both_recorded() -> list[tuple[str, str]] | None:
        rows = await AuditEvent.select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)
        found = [(r["action"], r["detail"]) for r in rows if r["action"].startswith("terminal.")]
        return found if len(found) >= 2 else None

    actions = await until(both_recorded, 10)
    assert actions[0] == ("terminal.start", "web: auto shell")
    assert actions[1][0] == "terminal.end" and "exit 7" in actions[1][1]


async def test_read_access_is_refused_before_anything_runs(terminal, docker_client):
    async with terminal.open(token=terminal.reader_token) as ws:
        refusal = json.loads(await ws.recv())
        assert refusal == {
            "type": "error",
            "detail": "You have read-only access to this deployment.",
        }
        await ws.wait_closed()
        assert ws.close_code == 4403
    label = {"label": f"shoal.node={terminal.agent.agent_id}"}
    (container,) = [
        c
        for c in docker_client.containers.list(filters=label)
        if c.labels.get("shoal.step") == "web"
    ]
    container.reload()
    assert not container.attrs.get("ExecIDs")  # no exec was ever created


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_a_flood_with_a_reader_that_stops_is_bounded_and_the_session_survives(terminal, hub):
    async with terminal.open() as ws:
        await ws.send(b"stty -echo; echo rea''dy\r")
        await read_until(ws, b"ready")
        before = rss_kb(terminal.agent.process.pid)
        await ws.send(b"head -c 100000000 /dev/zero | tr '\\0' x; echo; echo do''ne\r")
        own_before = rss_kb(os.getpid())
        await asyncio.sleep(6)  # not reading: the agent must stop at its credit window
        after, own_after = rss_kb(terminal.agent.process.pid), rss_kb(os.getpid())
        assert after - before < 30_000, (before, after)  # KB: the agent, and the control
        assert own_after - own_before < 30_000, (own_before, own_after)  # plane (this process)
        (session,) = [c.session for c in hub.connections.values()]
        assert all(q.qsize() < 64 for q in session.terminals.values())
        await ws.send(b"\x03")  # Ctrl-C stops the flood; the session goes on
        await ws.send(b"echo ali''ve\r")
        await read_until(ws, b"alive", within=120)


async def test_the_agent_dying_mid_session_ends_it_with_a_clear_message(terminal):
    async with terminal.open() as ws:
        await ws.send(b"echo u''p\r")
        await read_until(ws, b"up")
        await asyncio.to_thread(terminal.agent.kill)
        async with asyncio.timeout(30):
            while isinstance(frame := await ws.recv(), bytes):
                pass
        detail = json.loads(frame)["detail"]
        assert detail.startswith("connection to the agent lost"), detail


async def test_a_terminal_and_an_exec_work_through_a_follower_process(terminal, hub):
    # The served app's requests now go through a follower hub, as on a second `serve`: they
    # run with the test's runtime (the server started under it), so that is where it goes.
    follower = await started_hub(hub.dsn, dataclasses.replace(hub.config, role="follower"))
    served_runtime = runtime.current()
    assert served_runtime is not None and served_runtime.hub is hub
    served_runtime.hub = follower
    try:
        async with terminal.open() as ws:
            await ws.send(b"echo fol''lower\r")
            await read_until(ws, b"follower\r\n")
            await ws.send(json.dumps({"type": "resize", "cols": 101, "rows": 33}))
            await ws.send(b"stty size\r")
            await read_until(ws, b"33 101")
        headers = {"Authorization": f"Bearer {terminal.admin_token}"}
        async with httpx.AsyncClient(base_url=terminal.base_url, headers=headers) as http:
            done = await http.post(
                f"/api/v1/deployments/{terminal.deployment_id}/services/web/exec",
                json={"command": "echo via follower; exit 3"},
                timeout=60,
            )
        assert done.status_code == 200, done.text
        assert (done.json()["exit_code"], done.json()["stdout"]) == (3, "via follower\n")
        assert not follower.is_leader
    finally:
        served_runtime.hub = hub
        await follower.stop()


async def test_an_environment_with_terminals_off_refuses_terminals_and_commands(terminal):
    await Environment.update({Environment.terminals: False}).where(Environment.id > 0).run()
    async with terminal.open() as ws:
        refusal = json.loads(await ws.recv())
        assert refusal["detail"] == "Terminals and commands are turned off for this environment."
        await ws.wait_closed()
        assert ws.close_code == 4403
    headers = {"Authorization": f"Bearer {terminal.admin_token}"}
    async with httpx.AsyncClient(base_url=terminal.base_url, headers=headers) as http:
        refused = await http.post(
            f"/api/v1/deployments/{terminal.deployment_id}/services/web/exec",
            json={"command": ["true"]},
        )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Terminals and commands are turned off for this environment."


async def test_a_session_without_input_closes_after_the_idle_time(terminal, monkeypatch):
    monkeypatch.setattr(terminals, "IDLE_CLOSE_S", 2)
    async with terminal.open() as ws:
        async with asyncio.timeout(20):
            while isinstance(frame := await ws.recv(), bytes):
                await ws.send(json.dumps({"type": "ack", "size": len(frame)}))
        assert json.loads(frame)["detail"] == "closed after 2 s without input"
