"""/api/v1/projects/{id}/pipeline over the real app: read, write, 422 issues, 409, access."""

from core.actor import Actor
from core.services import accounts, teams
from shoaltest.web import api_client


async def test_put_get_versions_and_conflict(web_app, admin, shop, graph_for):
    api = await api_client(web_app, admin)
    async with api:
        url = f"/api/v1/projects/{shop.project.id}/pipeline"
        assert (await api.get(url)).json()["detail"] == "This project has no pipeline yet."
        body = {**graph_for(shop), "message": "from CI", "base_version": 0}
        saved = await api.put(url, json=body)
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == 1
        assert saved.json()["nodes"][1]["config"]["tag"] == "1.0"
        latest = (await api.get(url)).json()
        assert (latest["version"], latest["message"], latest["created_by"]) == (
            1,
            "from CI",
            "admin",
        )
        assert latest["edges"] == body["edges"]

        stale = await api.put(url, json={**body, "base_version": 0})
        assert stale.status_code == 409
        assert stale.json()["detail"].startswith("You edited version 0, but admin saved version 1")

        listed = (await api.get(f"{url}/versions")).json()
        assert [(v["version"], v["nodes"]) for v in listed] == [(1, 3)]
        assert (await api.get(f"{url}/versions/1")).json()["layout"] == body["layout"]
        assert (await api.get(f"{url}/versions/5")).status_code == 404

        restored = await api.post(f"{url}/versions/1/restore", json={"base_version": 1})
        assert restored.status_code == 201 and restored.json()["version"] == 2
        diff = (await api.get(f"{url}/diff", params={"from": 1, "to": 2})).json()
        assert diff["nodes_added"] == [] and diff["nodes_changed"] == []


async def test_invalid_graph_answers_422_with_issues_per_node(web_app, admin, shop, graph_for):
    api = await api_client(web_app, admin)
    async with api:
        url = f"/api/v1/projects/{shop.project.id}/pipeline"
        body = graph_for(shop)
        body["edges"].append({"from": "web", "to": "ghost"})
        answer = await api.put(url, json=body)
        assert answer.status_code == 422
        assert answer.json()["issues"] == [
            {"node": "web", "message": "The edge web → ghost names no node 'ghost'."}
        ]
        assert (await api.get(f"{url}/versions")).json() == []
        bad_shape = await api.put(url, json={"nodes": "x"})
        assert bad_shape.status_code == 400


async def test_readers_read_only_and_strangers_see_nothing(web_app, admin, shop, graph_for):
    from core.services import pipelines

    await pipelines.save_pipeline(shop.admin, shop.project.id, graph_for(shop))
    system = Actor.system("tests")
    reader = await accounts.create_user(system, username="qa", password="qa-password-1")
    stranger = await accounts.create_user(system, username="zed", password="zed-password-1")
    team = await teams.create_team(system, "qa", "")
    await teams.add_member(system, team.id, reader.id)
    await teams.grant(system, team.id, "project", shop.project.id, "read")
    url = f"/api/v1/projects/{shop.project.id}/pipeline"
    async with await api_client(web_app, reader) as api:
        assert (await api.get(url)).json()["version"] == 1
        assert (await api.get(f"{url}/versions")).status_code == 200
        refused = await api.put(url, json=graph_for(shop))
        assert refused.status_code == 403
    async with await api_client(web_app, stranger) as api:
        assert (await api.get(url)).status_code == 404
        assert (await api.put(url, json=graph_for(shop))).status_code == 404
    assert [v.version for v in await pipelines.list_versions(shop.project.id)] == [1]


async def test_the_pipeline_calls_are_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    base = "/api/v1/projects/{project_id}/pipeline"
    assert {"get", "put"} <= set(paths[base])
    for suffix in ("/versions", "/versions/{version}", "/versions/{version}/restore", "/diff"):
        assert base + suffix in paths
