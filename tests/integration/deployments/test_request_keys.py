"""Request keys are each caller's own, and refused deployment actions are audited."""

import pytest

from core.errors import Forbidden, NotFound
from core.services import deployment_actions, teams
from core.services.deployments import create_deployment
from core.tables import AuditEvent, Deployment


async def refusals(action: str) -> list[dict]:
    return (
        await AuditEvent.select()
        .where((AuditEvent.action == action) & (AuditEvent.outcome == "refused"))
        .run()
    )


async def test_one_users_request_key_never_returns_or_blocks_another_users_deployment(world):
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "full")
    mine = await create_deployment(world.admin, world.request("pr-1", request_key="ci-42"))
    theirs = await create_deployment(world.user, world.request("pr-2", request_key="ci-42"))
    assert theirs.id != mine.id and theirs.name == "pr-2"
    again = await create_deployment(world.user, world.request("pr-2", request_key="ci-42"))
    assert again.id == theirs.id  # the same caller repeating itself still gets one deployment
    assert await Deployment.count().run() == 2


async def test_a_key_longer_than_the_column_still_tells_requests_apart(world):
    prefix = "k" * 64
    first = await create_deployment(world.admin, world.request("a", request_key=prefix + "1"))
    second = await create_deployment(world.admin, world.request("b", request_key=prefix + "2"))
    assert first.id != second.id


async def test_refused_creates_and_changes_are_audited_with_their_target(world):
    with pytest.raises(NotFound):
        await create_deployment(world.user, world.request())
    dep = await world.deploy("pr-1")
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    with pytest.raises(Forbidden):
        await create_deployment(world.user, world.request("pr-2"))
    with pytest.raises(Forbidden):
        await deployment_actions.extend(world.user, dep.id)
    with pytest.raises(Forbidden):
        await deployment_actions.delete(world.user, dep.id)
    with pytest.raises(NotFound):
        await deployment_actions.retry(world.user, 2**31 - 1)
    creates = await refusals("deployment.create")
    assert [r["detail"] for r in creates] == [
        "No such deployment.",
        "You have read-only access to this deployment.",
    ]
    assert all(r["actor"] == world.user.id for r in creates)
    for action in ("deployment.extend", "deployment.delete"):
        (row,) = await refusals(action)
        assert (row["target_id"], row["project_id"]) == (dep.id, world.project_id)
    (missing,) = await refusals("deployment.retry")
    assert missing["target_id"] == 2**31 - 1 and missing["detail"] == "No such deployment."
