"""One-shot exec in a running service through the API, with every real part: services, SAQ
worker, hub, an agent process, dockerd (issue 23). Exit codes and both streams come back,
binary output as base64, long output bounded; read access is refused, a sleeping deployment
gets a clear 409, and each run is in the audit log without the service's environment."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import runtime
from core.actor import Actor
from core.jobs import make_worker
from core.services import accounts, api_tokens, teams
from core.settings import Settings
from core.tables import AuditEvent, Deployment
from shoaltest.httpd_project import deploy, deployment_reaches, httpd_project
from shoaltest.hub import add_node_with_agent, wait_status
from shoaltest.served import served
from shoaltest.web import api_client

pytestmark = pytest.mark.docker


@dataclass
class Running:
    deployment_id: int
    admin: accounts.UserView
    reader: accounts.UserView


@pytest.fixture
async def running(hub, hub_env, agent_factory, busybox_image, queue, web_app) -> AsyncIterator:
    admin_actor, env_id = hub_env
    runtime.install(settings=Settings())
    node, _agent = await add_node_with_agent(agent_factory, admin_actor, env_id)
    await wait_status(node.id, "online")
    worker = make_worker(queue, 2, handle_signals=False)
    worker_task = asyncio.create_task(worker.start())
    try:
        # another project's pipeline first, so shop's version 1 is not pipeline row 1: the
        # service is looked up by (project, version number), never by row id
        await httpd_project(admin_actor, "other", services=("api",))
        project = await httpd_project(admin_actor, "shop")
        deployment_id = await deploy(admin_actor, project, env_id, "pr-1")
        row = await deployment_reaches(deployment_id, "running", "failed")
        assert row["status"] == "running", row["error"]
        system = Actor.system("tests")
        admin = await accounts.create_user(
            system, username="ada", password="ada-password-1", is_admin=True
        )
        reader = await accounts.create_user(system, username="rita", password="rita-password-1")
        team = await teams.create_team(admin_actor, "readers")
        await teams.add_member(admin_actor, team.id, reader.id)
        await teams.grant(admin_actor, team.id, "project", project, "read")
        yield Running(deployment_id, admin, reader)
    finally:
        await worker.stop()
        worker_task.cancel()


def url(deployment_id: int, service: str = "web") -> str:
    return f"/api/v1/deployments/{deployment_id}/services/{service}/exec"


async def test_exit_codes_and_both_streams_come_back(web_app, running):
    async with await api_client(web_app, running.admin) as http:
        ok = await http.post(url(running.deployment_id), json={"command": ["echo", "hello"]})
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["exit_code"] == 0
        assert body["stdout"] == "hello\n" and body["stdout_encoding"] == "utf-8"
        assert body["stderr"] == "" and not body["stdout_truncated"] and not body["timed_out"]

        three = await http.post(
            url(running.deployment_id), json={"command": "echo out; echo err >&2; exit 3"}
        )
        assert three.status_code == 200, three.text
        body = three.json()
        assert (body["exit_code"], body["stdout"], body["stderr"]) == (3, "out\n", "err\n")


async def test_binary_output_is_base64_and_long_output_is_bounded(web_app, running):
    async with await api_client(web_app, running.admin) as http:
        binary = await http.post(
            url(running.deployment_id), json={"command": r"printf '\377\376ok'"}
        )
        body = binary.json()
        assert body["stdout_encoding"] == "base64"
        assert base64.b64decode(body["stdout"]) == b"\xff\xfeok"

        # 3 MiB of output: the first MiB comes back, the rest is dropped and said so.
        flood = await http.post(
            url(running.deployment_id),
            json={"command": "head -c 3145728 /dev/zero | tr '\\0' x", "timeout": 60},
        )
        body = flood.json()
        assert flood.status_code == 200, flood.text
        assert body["exit_code"] == 0 and body["stdout_truncated"]
        assert body["stdout"] == "x" * 1024 * 1024


async def test_read_access_is_refused_and_nothing_runs(web_app, running):
    async with await api_client(web_app, running.reader) as http:
        refused = await http.post(
            url(running.deployment_id), json={"command": ["touch", "/tmp/was-here"]}
        )
        assert refused.status_code == 403
        assert refused.json()["detail"] == "You have read-only access to this deployment."
    async with await api_client(web_app, running.admin) as http:
        check = await http.post(
            url(running.deployment_id), json={"command": ["ls", "/tmp/was-here"]}
        )
        assert check.json()["exit_code"] != 0


async def test_bad_input_a_missing_service_and_a_sleeping_deployment(web_app, running):
    async with await api_client(web_app, running.admin) as http:
        empty = await http.post(url(running.deployment_id), json={"command": []})
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]
        long = await http.post(url(running.deployment_id), json={"command": "x", "timeout": 9999})
        assert long.status_code == 422 and "timeout" in long.json()["detail"]
        missing = await http.post(url(running.deployment_id, "nope"), json={"command": "true"})
        assert missing.status_code == 422 and "nope" in missing.json()["detail"]
        unseen = await http.post(url(running.deployment_id + 999), json={"command": "true"})
        assert unseen.status_code == 404
        slow = await http.post(
            url(running.deployment_id), json={"command": "echo started; sleep 30", "timeout": 1}
        )
        assert slow.status_code == 200, slow.text
        body = slow.json()
        assert body["timed_out"] and body["exit_code"] is None and body["stdout"] == "started\n"
        assert body["duration_s"] < 10

        # Status is written by the lifecycle only; the test stands in for a sleep.
        await (
            Deployment.update({Deployment.status: "sleeping"})
            .where(Deployment.id == running.deployment_id)
            .run()
        )
        asleep = await http.post(url(running.deployment_id), json={"command": "true"})
        assert asleep.status_code == 409
        assert "sleeping" in asleep.json()["detail"] and "Wake it" in asleep.json()["detail"]


async def test_each_run_is_audited_with_command_and_exit_code_never_the_environment(
    web_app, running
):
    async with await api_client(web_app, running.admin) as http:
        done = await http.post(url(running.deployment_id), json={"command": "env; exit 3"})
        assert "PATH=" in done.json()["stdout"]  # the container's environment; never logged
    async with await api_client(web_app, running.reader) as http:
        await http.post(url(running.deployment_id), json={"command": "id"})
    rows = (
        await AuditEvent.select(AuditEvent.actor_name, AuditEvent.outcome, AuditEvent.detail)
        .where(AuditEvent.action == "deployment.exec")
        .order_by(AuditEvent.id)
        .run()
    )
    assert rows[0] == {
        "actor_name": "ada",
        "outcome": "ok",
        "detail": "web: sh -c 'env; exit 3' → exit 3",
    }
    assert rows[1]["actor_name"] == "rita" and rows[1]["outcome"] == "refused"
    assert all("PATH=" not in row["detail"] for row in rows)


async def shoal_exec(base_url: str, token: str, *argv: str) -> tuple[int, bytes, bytes]:
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("shoal")),
        "exec",
        *argv,
        env={**os.environ, "SHOAL_URL": base_url, "SHOAL_TOKEN": token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out, err


async def test_the_cli_passes_output_bytes_and_exit_code_through(web_app, running):
    actor = Actor(id=running.admin.id, username="ada", is_admin=True)
    token = (await api_tokens.create_token(actor, "ci")).token
    where = ("--project", "shop", "--name", "pr-1", "--service", "web", "--")
    async with served(web_app) as base_url:
        code, out, err = await shoal_exec(
            base_url, token, *where, "sh", "-c", r"printf 'a\377b'; echo oops >&2; exit 3"
        )
        assert (code, out, err) == (3, b"a\xffb", b"oops\n")
        code, out, err = await shoal_exec(
            base_url, token, "--project", "shop", "--name", "nope", "--service", "web", "--", "true"
        )
        assert code == 2 and b"no live deployment named 'nope'" in err
