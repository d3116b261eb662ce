"""A plugin that changes under running deployments, on the real parts (hub, agent over TLS,
dockerd, SAQ worker, PostgreSQL, registry with credentials): a new tag is pulled ahead at once
but never reaches a deployment made before (its pipeline version froze the old tag); a plugin
removed while deployments run with it is retired, they keep running (across an agent restart
and its sync) and roll it back when deleted, while a new deployment of a pipeline that still
names it is refused with a clear message. An image that cannot be pulled fails its step."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import Conflict, NotFound
from core.services import deployment_actions as actions
from core.services import deployment_specs, pipelines, plugins
from core.services.deployments import DeploymentInput, create_deployment, get_deployment
from core.tables import Deployment, Node, PipelineRun, PipelineStep, PipelineVersion, Plugin
from shoaltest.db import insert_row
from shoaltest.hub import until, wait_status

pytestmark = pytest.mark.docker


async def wait_for(actor, deployment_id: int, *wanted: str, within: float = 120):
    async def reached():
        dep = await get_deployment(actor, deployment_id)
        return dep if dep.status in wanted else None

    return await until(reached, within, every=0.3)


async def node_images(node_id: int) -> dict:
    row = await (
        Node.select(Node.plugin_images).where(Node.id == node_id).output(load_json=True).first()
    ).run()
    return row["plugin_images"]


def graph(stack, plugin_id: int | None) -> dict:
    nodes = [{"id": "web", "kind": "service", "config": {"service_id": stack.web_id}}]
    edges = []
    if plugin_id is not None:
        nodes.append({"id": "seed", "kind": "plugin", "config": {"plugin_id": plugin_id}})
        edges.append({"from": "web", "to": "seed"})
    return {"nodes": nodes, "edges": edges, "layout": {}}


async def deploy(stack, name: str):
    request = DeploymentInput(project_id=stack.project_id, environment_id=stack.env_id, name=name)
    dep = await create_deployment(stack.admin, request)
    dep = await wait_for(stack.admin, dep.id, "running", "failed")
    assert dep.status == "running", dep.error
    return dep


def seed_image(spec) -> str:
    return next(n.image for n in spec.nodes if n.id == "seed")


async def test_retagged_and_retired_plugins_leave_running_deployments_alone(
    plugin_stack, pushed_seed
):
    stack, admin = plugin_stack, plugin_stack.admin
    seed = stack.seed
    await pipelines.save_pipeline(admin, stack.project_id, graph(stack, seed.id), "with seed")
    first = await deploy(stack, "pr-1")

    # A new tag: every node pulls it at once; the running deployment keeps the frozen one.
    await plugins.update_plugin(admin, seed.id, stack.plugin_input(tag="2.0"))
    await until(lambda: _state(stack.node.id, pushed_seed["2.0"], "present"), 60, every=0.2)
    assert seed_image(await deployment_specs.build_spec(first.id)) == pushed_seed["1.0"]
    await pipelines.save_pipeline(admin, stack.project_id, graph(stack, seed.id), "seed 2.0")
    second = await deploy(stack, "pr-2")
    assert seed_image(await deployment_specs.build_spec(second.id)) == pushed_seed["2.0"]
    assert seed_image(await deployment_specs.build_spec(first.id)) == pushed_seed["1.0"]

    # The current pipeline names it: removing it would break every new deployment.
    with pytest.raises(Conflict, match=r"project shop \(pipeline v2\)"):
        await plugins.delete_plugin(admin, seed.id)
    await pipelines.save_pipeline(admin, stack.project_id, graph(stack, None), "no seed")
    done = await plugins.delete_plugin(admin, seed.id)
    assert "removed from the catalog" in done and "pipeline v1" in done and "pipeline v2" in done
    assert seed.id not in [p.id for p in await plugins.list_plugins()]
    with pytest.raises(NotFound):
        await plugins.get_plugin(seed.id)
    await until(lambda: _no_images(stack.node.id), 30, every=0.2)  # agents told at once

    # Both keep running, also after the agent restarts and gets the desired state again.
    await asyncio.to_thread(stack.agent.kill)
    await wait_status(stack.node.id, "offline", within=15)
    await asyncio.to_thread(stack.agent.start)
    await wait_status(stack.node.id, "online", within=20)
    for dep in (first, second):
        assert (await wait_for(admin, dep.id, "running", within=60)).status == "running"

    # Its name is free again, and a pipeline that still names the retired one cannot deploy.
    again = await plugins.create_plugin(admin, stack.plugin_input(tag="2.0"))
    assert again.id != seed.id and again.name == "seed"
    await insert_row(
        PipelineVersion(project=stack.project_id, version=4, graph=graph(stack, seed.id))
    )
    before = await Deployment.count().run()
    request = DeploymentInput(project_id=stack.project_id, environment_id=stack.env_id, name="pr-3")
    with pytest.raises(Conflict, match="Pipeline node 'seed' uses a plugin that was removed"):
        await create_deployment(admin, request)
    assert await Deployment.count().run() == before

    # Deleting them rolls the retired plugin back; then the housekeeping job forgets it.
    for dep in (first, second):
        await actions.delete(admin, dep.id)
    for dep in (first, second):
        await wait_for(admin, dep.id, "deleted")
        run = await (
            PipelineRun.select(PipelineRun.id)
            .where((PipelineRun.deployment == dep.id) & (PipelineRun.action == "delete"))
            .first()
            .run()
        )
        step = await (
            PipelineStep.select(PipelineStep.status, PipelineStep.log)
            .where((PipelineStep.run == run["id"]) & (PipelineStep.node_id == "seed"))
            .first()
            .run()
        )
        assert step["status"] == "rolled_back" and "plugin rollback starting" in step["log"]
    await PipelineVersion.delete().where(PipelineVersion.version == 4).run()
    assert await plugins.purge_retired() == 1
    assert not await Plugin.exists().where(Plugin.id == seed.id).run()


async def test_an_image_the_registry_does_not_have_is_reported_and_fails_its_step(
    plugin_stack, pushed_seed
):
    stack, admin = plugin_stack, plugin_stack.admin
    ghost = await plugins.create_plugin(admin, stack.plugin_input(name="ghost", tag="9.9"))
    missing = pushed_seed["1.0"].replace(":1.0", ":9.9")
    failed = await until(lambda: _state(stack.node.id, missing, "failed"), 60, every=0.2)
    assert "not found" in failed["error"] or "manifest unknown" in failed["error"]

    await pipelines.save_pipeline(admin, stack.project_id, graph(stack, ghost.id), "ghost")
    request = DeploymentInput(project_id=stack.project_id, environment_id=stack.env_id, name="pr-9")
    dep = await create_deployment(admin, request)
    dep = await wait_for(admin, dep.id, "running", "failed")
    assert dep.status == "failed"
    assert "seed" in dep.error and f"pull {missing}" in dep.error


async def _state(node_id: int, image: str, state: str) -> dict | None:
    entry = (await node_images(node_id)).get(image)
    return entry if entry and entry["state"] == state else None


async def _no_images(node_id: int) -> bool:
    return await node_images(node_id) == {}
