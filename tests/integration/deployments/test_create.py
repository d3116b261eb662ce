"""Creating deployments: access, tag rules, names, capacity under concurrency, idempotency."""

import asyncio

import pytest

from core.errors import CapacityExceeded, Conflict, Forbidden, InvalidInput, NotFound
from core.services import deployment_specs, teams
from core.services.deployment_list import list_deployments
from core.services.deployments import create_deployment
from core.tables import Deployment, Project

from .conftest import add_node


async def jobs(queue):
    return (await queue.info(jobs=True))["jobs"]


async def test_full_access_user_creates_a_pending_deployment_and_a_job(world, queue):
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "full")
    dep = await create_deployment(world.user, world.request())
    assert dep.status == "pending" and dep.node_id == world.node_id
    assert dep.tags == {"api": "1.0", "web": "v2"}  # the pinned tag comes from the catalog
    assert dep.urls == {
        "api": "http://api.pr-1.qa.qa.test:8880",
        "web": "http://web.pr-1.qa.qa.test:8880",
    }
    assert dep.expires_at is not None
    assert [j["function"] for j in await jobs(queue)] == ["run_deployment"]


async def test_no_access_is_not_found_and_read_access_is_forbidden(world):
    with pytest.raises(NotFound):
        await create_deployment(world.user, world.request())
    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "read")
    with pytest.raises(Forbidden):
        await create_deployment(world.user, world.request())
    assert await Deployment.count().run() == 0


async def test_a_tag_outside_the_pattern_is_refused_even_when_posted_by_hand(world):
    with pytest.raises(InvalidInput, match="must match 'v\\*'"):
        await create_deployment(world.admin, world.request(tags={"web": "latest"}))
    with pytest.raises(InvalidInput, match="Pick a tag for 'web'"):
        await create_deployment(world.admin, world.request(tags={}))
    assert await Deployment.count().run() == 0


async def test_names_must_be_dns_labels_and_unique_among_live_deployments(world):
    with pytest.raises(InvalidInput):
        await create_deployment(world.admin, world.request(name="Bad_Name"))
    await create_deployment(world.admin, world.request(name="pr-1"))
    with pytest.raises(Conflict, match="already exists in qa"):
        await create_deployment(world.admin, world.request(name="pr-1"))
    await Deployment.update({Deployment.status: "deleted"}).where(Deployment.name == "pr-1").run()
    again = await create_deployment(world.admin, world.request(name="pr-1"))
    assert again.status == "pending"  # the name is free once the old one is deleted


async def test_no_capacity_fails_at_once_and_creates_nothing(world):
    await Project.update({Project.cpu: 64.0}).where(Project.id == world.project_id).run()
    with pytest.raises(CapacityExceeded, match="needs 64 CPU"):
        await create_deployment(world.admin, world.request())
    assert await Deployment.count().run() == 0


async def test_simultaneous_requests_never_overcommit_a_node(world):
    # 4 CPU / 8 GB per node, 1 CPU / 1 GB per deployment: two nodes hold exactly 8.
    await add_node(world.env_id, "n2")
    results = await asyncio.gather(
        *(create_deployment(world.admin, world.request(name=f"d{i}")) for i in range(12)),
        return_exceptions=True,
    )
    created = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, CapacityExceeded)]
    assert len(created) == 8 and len(refused) == 4
    per_node = {}
    for dep in created:
        per_node[dep.node_id] = per_node.get(dep.node_id, 0) + 1
    assert sorted(per_node.values()) == [4, 4]


async def test_a_double_submitted_request_creates_one_deployment(world):
    first, second = await asyncio.gather(
        create_deployment(world.admin, world.request(request_key="form-123")),
        create_deployment(world.admin, world.request(request_key="form-123")),
    )
    assert first.id == second.id
    assert await Deployment.count().run() == 1


async def test_lists_show_only_what_the_user_may_see(world):
    await create_deployment(world.admin, world.request(name="a"))
    assert await list_deployments(world.user) == []
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    listed = await list_deployments(world.user)
    assert [d.name for d in listed] == ["a"] and listed[0].level == "read"


async def test_spec_resolves_images_urls_and_limits(world):
    dep = await create_deployment(world.admin, world.request())
    spec = await deployment_specs.build_spec(dep.id)
    assert [n.image for n in spec.nodes] == [
        "127.0.0.1:5999/shop/api:1.0",
        "127.0.0.1:5999/shop/web:v2",
    ]
    assert spec.limits.cpu == 1.0 and spec.limits.memory_mb == 1024
    assert spec.urls["web"] == "http://web.pr-1.qa.qa.test:8880"
    assert [(e.source, e.target) for e in spec.edges] == [("api", "web")]


async def test_spec_carries_the_catalog_container_settings(world):
    from core.tables import Service

    settings = {
        Service.cap_add: ["NET_ADMIN"],
        Service.cap_drop: ["ALL"],
        Service.run_as: "1000:1000",
    }
    await Service.update(settings).where(Service.name == "api").run()
    dep = await create_deployment(world.admin, world.request())
    configs = {n.id: n.config for n in (await deployment_specs.build_spec(dep.id)).nodes}
    api, web = configs["api"], configs["web"]
    assert (api.cap_add, api.cap_drop, api.user) == (["NET_ADMIN"], ["ALL"], "1000:1000")
    assert (web.cap_add, web.cap_drop, web.user) == ([], [], "")


async def test_sustained_cpu_load_keeps_deployments_away_but_one_spike_does_not(world):
    from core.tables import Node, NodeSample

    await Node.update(
        {Node.usage: {"cpu_busy_percent": 100, "memory_available_mb": 8192}}, force=True
    ).run()
    spike = await create_deployment(world.admin, world.request(name="during-a-spike"))
    assert spike.node_id == world.node_id  # one busy heartbeat is not a full node
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "full")
    for _ in range(5):  # a node saturated by other work: 3.9 of 4 cores, sustained
        await NodeSample.insert(NodeSample(node=world.node_id, cpu_outside=3.9)).run()
    with pytest.raises(CapacityExceeded) as refused:
        await create_deployment(world.user, world.request(name="under-load"))
    text = refused.value.detail
    assert "deployments hold 1.00, other work on the host 3.90" in text
    assert "3.40 counts beyond its 0.5 CPU reserve" in text and "needs 1 CPU" in text
    assert "Delete" not in text  # quinn has no deployment here to delete


async def test_a_busy_small_host_still_takes_a_deployment_that_fits_its_reserve(world):
    """The newcomer's case: a 2-core machine busy with other work refused a 1-CPU project."""
    from core.tables import Node, NodeSample

    await teams.grant(world.admin, world.team_id, "project", world.project_id, "full")
    capacity = {"cpus": 2.0, "memory_mb": 8192}
    await Node.update({Node.capacity: capacity}).where(Node.id == world.node_id).run()
    for _ in range(5):  # 1.2 cores busy outside Shoal, sustained
        await NodeSample.insert(NodeSample(node=world.node_id, cpu_outside=1.2)).run()
    first = await create_deployment(world.user, world.request(name="busy-laptop"))
    assert first.node_id == world.node_id  # 2 - 0 - (1.2 - 0.5) = 1.3 free >= 1
    with pytest.raises(CapacityExceeded) as refused:  # 2 - 1 - 0.7 = 0.3 free
        await create_deployment(world.user, world.request(name="one-more"))
    assert "Delete one of your deployments here" in refused.value.detail
    await Node.update({Node.cpu_reserve: 1.5}).where(Node.id == world.node_id).run()
    second = await create_deployment(world.user, world.request(name="bigger-reserve"))
    assert second.node_id == world.node_id  # 2 - 1 - 0 = 1 free


async def test_memory_used_outside_shoal_counts_at_once(world):
    from core.tables import Node

    await Node.update(
        {Node.usage: {"cpu_busy_percent": 0, "memory_available_mb": 512}}, force=True
    ).run()
    with pytest.raises(CapacityExceeded, match="512 MB free"):
        await create_deployment(world.admin, world.request())
