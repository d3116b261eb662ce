"""Issue 25, live checks in the editor: POST /api/v1/projects/{id}/pipeline/check judges a draft
with the save's own checks, per node, and stores nothing; who may ask is who may save."""

from __future__ import annotations

import copy

import pytest

from core.actor import Actor
from core.services import accounts, pipelines, teams
from core.tables import PipelineVersion
from shoaltest.web import ADMIN_PASSWORD, api_client


def problems_of(answer) -> list[tuple]:
    assert answer.status_code == 200, answer.text
    return [(p["node"], p["field"], p["message"]) for p in answer.json()["problems"]]


def broken(graph: dict, how: str, shop) -> dict:
    graph = copy.deepcopy(graph)
    web = graph["nodes"][2]["config"]
    if how == "cycle":
        graph["edges"].append({"from": "web", "to": "db"})
    elif how == "unknown reference":
        web["env"]["API"] = "${{ nodes.ghost.outputs.url }}"
    elif how == "missing secret":
        web["env"]["TOKEN"] = "${{ secrets.NOPE }}"
    elif how == "cpu":
        web["cpu"] = 5
    return graph


EXPECTED = {
    "cycle": [
        ("db", None, "'db' is in a cycle: db → setup → web → db."),
        ("setup", None, "'setup' is in a cycle: setup → web → db → setup."),
        ("web", None, "'web' is in a cycle: web → db → setup → web."),
    ],
    "unknown reference": [
        (
            "web",
            "config.env.API",
            "env.API: ${{ nodes.ghost.outputs.url }} names no node of this pipeline.",
        )
    ],
    "missing secret": [
        (
            "web",
            "config.env.TOKEN",
            "env.TOKEN: ${{ secrets.NOPE }} names no secret of this project.",
        )
    ],
    "cpu": [
        (
            node,
            field,
            "The pipeline asks 6 CPU (services 5.5, plugins running together 0.5), over the "
            f"project's limit of 2 CPU; this node asks {asks} CPU.",
        )
        for node, field, asks in (("db", "config.cpu", "0.5"), ("web", "config.cpu", "5"))
    ]
    + [
        (
            "setup",
            None,
            "The pipeline asks 6 CPU (services 5.5, plugins running together 0.5), over the "
            "project's limit of 2 CPU; this node asks 0.5 CPU.",
        )
    ],
}


@pytest.mark.parametrize("how", list(EXPECTED))
async def test_each_problem_lands_on_its_node_as_save_would_say(
    web_app, admin, shop, graph_for, how
):
    draft = broken(graph_for(shop), how, shop)
    async with await api_client(web_app, admin) as api:
        url = f"/api/v1/projects/{shop.project.id}/pipeline"
        answer = await api.post(f"{url}/check", json=draft)
        assert sorted(problems_of(answer)) == sorted(EXPECTED[how])
        refused = await api.put(url, json=draft)  # the save says the very same
    assert refused.status_code == 422
    said = [(i["node"], i["message"]) for i in refused.json()["issues"]]
    assert said == [(p["node"], p["message"]) for p in answer.json()["problems"]]
    assert await PipelineVersion.count().run() == 0


async def test_a_clean_draft_has_no_problems_and_nothing_is_saved(web_app, admin, shop, graph_for):
    async with await api_client(web_app, admin) as api:
        url = f"/api/v1/projects/{shop.project.id}/pipeline/check"
        assert problems_of(await api.post(url, json=graph_for(shop))) == []
        empty = await api.post(url, json={"nodes": [], "edges": [], "layout": {}})
        assert problems_of(empty) == [(None, None, pipelines.EMPTY)]
        dangling = graph_for(shop)
        dangling["edges"].append({"from": "web", "to": "ghost"})
        answer = await api.post(url, json=dangling)
        assert answer.json()["problems"] == [
            {
                "node": "web",
                "message": "The edge web → ghost names no node 'ghost'.",
                "field": None,
                "edge": {"from": "web", "to": "ghost"},
            }
        ]
        shape = await api.post(url, json={"nodes": "many"})
        assert problems_of(shape)[0][2].startswith("The graph is not in the expected shape")
    assert await PipelineVersion.count().run() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[1, 2]",
        b'"nodes"',
        b'{"nodes": [{"id": "a", "kind": "plugin", "config": {"params": ' + b"[" * 5000,
        b'{"nodes": [{"id": "a", "kind": "plugin", "config": {"plugin_id": 1, "params": {"x": '
        + b"[" * 950
        + b"]" * 950
        + b"}}}]}",
        '{"nodes": [{"id": "\u0000", "kind": "service", "config": {}}]}'.encode(),
    ],
    ids=["broken", "empty", "list", "string", "deep-unclosed", "deep", "nul"],
)
async def test_bad_bodies_get_a_json_answer_never_a_500(web_app, admin, shop, body):
    async with await api_client(web_app, admin) as api:
        answer = await api.post(
            f"/api/v1/projects/{shop.project.id}/pipeline/check",
            content=body,
            headers={"Content-Type": "application/json"},
        )
    assert 200 <= answer.status_code < 500, answer.text
    assert answer.json()["status_code" if answer.status_code >= 400 else "problems"] is not None
    if answer.status_code >= 400:
        assert answer.json()["detail"]


async def test_who_may_ask_is_who_may_save(web_app, admin, client, shop, graph_for):
    system = Actor.system("tests")
    reader = await accounts.create_user(system, username="qa", password="qa-password-1")
    stranger = await accounts.create_user(system, username="zed", password="zed-password-1")
    team = await teams.create_team(system, "qa", "")
    await teams.add_member(system, team.id, reader.id)
    await teams.grant(system, team.id, "project", shop.project.id, "full")
    url = f"/api/v1/projects/{shop.project.id}/pipeline/check"
    async with await api_client(web_app, reader) as api:
        refused = await api.post(url, json=graph_for(shop))
        assert (refused.status_code, refused.json()["detail"]) == (
            403,
            "Only admins can change pipelines.",
        )
        assert (await api.put(url.removesuffix("/check"), json=graph_for(shop))).status_code == 403
    async with await api_client(web_app, stranger) as api:
        assert (await api.post(url, json=graph_for(shop))).status_code == 404

    # the editor's own call: the session cookie and the page's CSRF token in a header
    await client.login("admin", ADMIN_PASSWORD)
    assert (await client.post(url, json=graph_for(shop))).status_code == 403  # no token
    answer = await client.post(url, json=graph_for(shop), headers={"X-CSRF-Token": client.csrf})
    assert problems_of(answer) == []
