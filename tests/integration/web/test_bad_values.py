"""Values PostgreSQL cannot store (NUL in text, ids beyond its `integer`) are refused with a
4xx at the edge, never a 500, and a refused attempt that reached a service is audited."""

import pytest

from core.actor import Actor
from core.errors import UNSTORABLE, InvalidInput
from core.services import projects, teams
from core.tables import AuditEvent, Registry, Service, Team
from shoaltest.db import insert_row
from shoaltest.web import api_client

TOO_BIG = 2**31  # one past PostgreSQL's integer


async def refused(action: str) -> list[dict]:
    return (
        await AuditEvent.select()
        .where((AuditEvent.action == action) & (AuditEvent.outcome == "refused"))
        .run()
    )


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"/api/v1/projects/{TOO_BIG}"),
        ("DELETE", f"/api/v1/nodes/{TOO_BIG}"),
        ("GET", f"/api/v1/services/{TOO_BIG}"),
        ("GET", f"/api/v1/projects/1/pipeline/versions/{TOO_BIG}"),
        ("GET", f"/api/v1/projects/1/pipeline/diff?from=1&to={TOO_BIG}"),
        ("GET", f"/api/v1/deployments?project_id={TOO_BIG}"),
        ("GET", f"/api/v1/audit?before={TOO_BIG}"),
        ("GET", "/api/v1/projects/0"),
        ("GET", "/api/v1/deployments?status=a%00b"),
        ("GET", "/api/v1/audit?target_type=%00"),
    ],
)
async def test_api_refuses_out_of_range_ids_and_nul_in_the_url_with_400(
    web_app, admin, method, path
):
    async with await api_client(web_app, admin) as api:
        answer = await api.request(method, path)
    assert answer.status_code == 400, answer.text
    assert answer.json()["status_code"] == 400


async def test_api_refuses_nul_and_huge_ids_in_bodies_before_any_service(web_app, admin):
    team = await teams.create_team(Actor(admin.id, "admin", True), "qa")
    async with await api_client(web_app, admin) as api:
        nul_name = await api.post("/api/v1/teams", json={"name": "a\u0000b"})
        control = await api.post("/api/v1/projects", json={"name": "p", "description": "\u001b"})
        member = await api.post(f"/api/v1/teams/{team.id}/members", json={"user_id": TOO_BIG})
        grant = await api.post(
            f"/api/v1/teams/{team.id}/grants",
            json={"target": "project", "target_id": TOO_BIG, "level": "read"},
        )
    for answer in (nul_name, control, member, grant):
        assert answer.status_code == 400, answer.text
    assert "name" in str(nul_name.json()["extra"]) and "user_id" in str(member.json()["extra"])
    assert await Team.count().run() == 1


async def test_a_refused_name_with_nul_is_audited_with_the_nul_escaped(admin):
    actor = Actor(admin.id, "admin", True)
    with pytest.raises(InvalidInput, match="Control characters"):
        await teams.create_team(actor, "a\x00b")
    (row,) = await refused("team.create")
    assert row["target_name"] == "a\\x00b"


async def test_nul_the_service_does_not_check_is_refused_and_audited_not_a_500(web_app, admin):
    """A pipeline node's env is free text stored as jsonb, which refuses \\u0000."""
    project = await projects.create_project(
        Actor(admin.id, "admin", True), projects.ProjectInput(name="shop")
    )
    registry = await insert_row(Registry(name="local", url="http://127.0.0.1:5999"))
    service = await insert_row(
        Service(name="api", registry=registry, image="shop/api", tag="1.0", port=8080)
    )
    config = {"service_id": service, "env": {"GREETING": "a\u0000b"}}
    graph = {"nodes": [{"id": "api", "kind": "service", "config": config}], "edges": []}
    async with await api_client(web_app, admin) as api:
        answer = await api.put(f"/api/v1/projects/{project.id}/pipeline", json=graph)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == UNSTORABLE
    (row,) = await refused("pipeline.save")
    assert row["project_id"] == project.id and row["detail"] == UNSTORABLE


async def test_pages_answer_400_for_ids_beyond_the_database_and_nul_in_queries(client, admin):
    await client.login("admin", "admin-password-1")
    for url in (f"/teams/{TOO_BIG}", f"/audit?before={TOO_BIG}", "/audit?target_type=%00"):
        answer = await client.get(url)
        assert answer.status_code == 400, (url, answer.text[:300])
        assert "Something went wrong" not in answer.text
