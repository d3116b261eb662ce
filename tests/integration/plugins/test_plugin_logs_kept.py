"""Plugin stderr kept with its step, on the real parts (hub, agent over TLS, dockerd, SAQ worker,
PostgreSQL, registry): one plugin prints its whole input (the project's secret inside) and one
writes 100 MB. After the run, the step rows hold the first masked and the second bounded to its
last megabyte; a read-level user sees both on the deployment page and reads the whole log as
text, a user without access sees nothing; the rollbacks' stderr is kept in the delete run."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from agent.protocol import STEP_LOG_BYTES
from agent.protocol.redaction import MASK
from core import db
from core.services import accounts, pipelines, secrets, teams
from core.services import deployment_actions as actions
from core.services.deployments import DeploymentInput, create_deployment, get_deployment
from core.tables import PipelineRun, PipelineStep
from shoaltest.hub import until
from shoaltest.web import WebClient, api_client

pytestmark = pytest.mark.docker

SECRET = "hunter2-in-the-log"
LEAK = {"params": {"mode": "leak"}}  # prints its whole input (secrets too) on stderr
FLOOD = {"params": {"mode": "errflood"}}  # 100 MB on stderr, then a last line
LAST = "errflood: the last line"


async def wait_for(actor, deployment_id: int, *wanted: str, within: float = 240):
    async def reached():
        dep = await get_deployment(actor, deployment_id)
        return dep if dep.status in wanted else None

    return await until(reached, within, every=0.3)


async def logs_of(deployment_id: int, action: str) -> dict[str, dict]:
    run = await (
        PipelineRun.select(PipelineRun.id)
        .where((PipelineRun.deployment == deployment_id) & (PipelineRun.action == action))
        .order_by(PipelineRun.id, ascending=False)
        .first()
        .run()
    )
    rows = await (
        PipelineStep.select(PipelineStep.node_id, PipelineStep.log, PipelineStep.status)
        .where(PipelineStep.run == run["id"])
        .run()
    )
    return {r["node_id"]: r | {"run": run["id"]} for r in rows}


async def user_with(stack, name: str, level: str | None):
    user = await accounts.create_user(stack.admin, username=name, password=f"{name}-password-1")
    if level:
        team = await teams.create_team(stack.admin, f"{name}-team")
        await teams.add_member(stack.admin, team.id, user.id)
        await teams.grant(stack.admin, team.id, "project", stack.project_id, level)
    return user


@contextlib.asynccontextmanager
async def signed_in(web_app, name: str) -> AsyncIterator[WebClient]:
    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    async with WebClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.login(name, f"{name}-password-1")).status_code == 303
        yield client


async def test_plugin_stderr_is_kept_masked_bounded_and_shown_to_readers(plugin_stack, web_app):
    stack = plugin_stack
    await secrets.set_secret(stack.admin, stack.project_id, "DB_PASSWORD", SECRET)
    seed = stack.seed.id
    graph = {
        "nodes": [
            {"id": "web", "kind": "service", "config": {"service_id": stack.web_id}},
            {"id": "leaky", "kind": "plugin", "config": {"plugin_id": seed, **LEAK}},
            {"id": "chatty", "kind": "plugin", "config": {"plugin_id": seed, **FLOOD}},
        ],
        "edges": [{"from": "web", "to": "leaky"}, {"from": "web", "to": "chatty"}],
        "layout": {},
    }  # fmt: skip
    await pipelines.save_pipeline(stack.admin, stack.project_id, graph, "a leak and a flood")
    request = DeploymentInput(project_id=stack.project_id, environment_id=stack.env_id, name="pr-1")
    dep = await create_deployment(stack.admin, request)
    dep = await wait_for(stack.admin, dep.id, "running", "failed")
    assert dep.status == "running", dep.error

    kept = await logs_of(dep.id, "deploy")
    assert "leaking the whole document" in kept["leaky"]["log"] and MASK in kept["leaky"]["log"]
    chatty = kept["chatty"]["log"]
    assert len(chatty.encode()) <= STEP_LOG_BYTES + 100 and chatty.endswith(
        "errflood: the last line"
    )
    assert chatty.startswith("[shoal: ") and "bytes of earlier output not kept]" in chatty
    assert kept["web"]["log"] == ""  # services keep their own logs in Docker
    stored = await db.fetch("SELECT string_agg(log, '') FROM pipeline_steps")
    assert SECRET not in stored[0][0]

    reader_user = await user_with(stack, "reader", "read")
    await user_with(stack, "stranger", None)
    run = kept["leaky"]["run"]
    whole = f"/deployments/{dep.id}/runs/{run}/steps/chatty/log"
    async with signed_in(web_app, "reader") as reader:
        page = await reader.page(f"/deployments/{dep.id}")
        assert page.status_code == 200 and "leaking the whole document" in page.text
        assert LAST in page.text and SECRET not in page.text
        assert whole in page.text
        text = await reader.get(whole)
        assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
        assert text.text == chatty
    async with signed_in(web_app, "stranger") as stranger:
        assert (await stranger.get(f"/deployments/{dep.id}")).status_code == 404
        assert (await stranger.get(whole)).status_code == 404
    async with await api_client(web_app, reader_user) as api:
        steps = (await api.get(f"/api/v1/deployments/{dep.id}/steps")).json()
        shown = {s["node_id"]: s["log"] for s in steps}
        assert "leaking the whole document" in shown["leaky"] and SECRET not in shown["leaky"]

    await actions.delete(stack.admin, dep.id)
    await wait_for(stack.admin, dep.id, "deleted", within=120)
    removed = await logs_of(dep.id, "delete")
    assert {step: row["status"] for step, row in removed.items()} == {
        "leaky": "rolled_back",
        "chatty": "rolled_back",
    }
    leaky = removed["leaky"]["log"]
    assert leaky.startswith("--- rollback ---\nplugin rollback starting\nleaking the whole")
    assert MASK in leaky and SECRET not in leaky
    chatty = removed["chatty"]["log"]  # it floods on rollback too: bounded again
    assert len(chatty.encode()) <= STEP_LOG_BYTES + 100 and chatty.endswith(
        "errflood: the last line"
    )
