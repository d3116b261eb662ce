"""Deployment pages and API through the real app: create, read-only views, refusals, SSE."""

import asyncio
import json
import re

from core import events
from core.services import teams
from core.tables import Deployment, PipelineVersion
from shoaltest.db import insert_row
from shoaltest.web import api_client


async def user_view(world):
    from core.services import accounts

    return await accounts.get_user(world.user.id)


async def test_api_create_answers_201_at_once_with_an_events_url(web_app, world, queue):
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "full")
    body = {
        "project_id": world.project_id,
        "environment_id": world.env_id,
        "name": "pr-7",
        "tags": {"web": "v1.2"},
    }
    async with await api_client(web_app, await user_view(world)) as api:
        created = await api.post(
            "/api/v1/deployments", json=body, headers={"Idempotency-Key": "ci-7"}
        )
        again = await api.post(
            "/api/v1/deployments", json=body, headers={"Idempotency-Key": "ci-7"}
        )
        fetched = await api.get(f"/api/v1/deployments/{created.json()['id']}")
    assert created.status_code == 201
    data = created.json()
    assert (
        data["status"] == "pending"
        and data["events_url"] == f"/api/v1/deployments/{data['id']}/events"
    )
    assert again.json()["id"] == data["id"] and await Deployment.count().run() == 1
    assert fetched.json()["urls"]["web"] == "http://web.pr-7.qa.qa.test:8880"


async def test_read_only_user_sees_the_page_without_actions_and_the_api_refuses(
    web_app, world, client, queue
):
    dep = await world.deploy("shared", tags={"web": "v1"})
    await teams.grant(world.admin, world.team_id, "environment", world.env_id, "read")
    await client.login("quinn", "quinn-password-1")
    page = await client.get(f"/deployments/{dep.id}")
    assert page.status_code == 200 and "shared" in page.text
    assert "/extend" not in page.text and "/delete" not in page.text
    async with await api_client(web_app, await user_view(world)) as api:
        for call in (
            api.post(f"/api/v1/deployments/{dep.id}/extend"),
            api.delete(f"/api/v1/deployments/{dep.id}"),
        ):
            refused = await call
            assert refused.status_code == 403
    assert (await Deployment.select(Deployment.status).first().run())["status"] == "pending"


async def test_guessing_ids_without_access_gets_404(web_app, world, client, queue):
    dep = await world.deploy("private", tags={"web": "v1"})
    await client.login("quinn", "quinn-password-1")
    assert (await client.get(f"/deployments/{dep.id}")).status_code == 404
    async with await api_client(web_app, await user_view(world)) as api:
        assert (await api.get(f"/api/v1/deployments/{dep.id}")).status_code == 404
        assert (await api.delete(f"/api/v1/deployments/{dep.id}")).status_code == 404


async def test_new_form_lists_tag_fields_and_a_bad_tag_rerenders_with_the_error(
    world, client, queue
):
    await client.login("admin", "admin-password-1")
    form = await client.page("/deployments/new")
    assert "Deploy" in form.text
    fields = await client.get(f"/deployments/new/tags?project_id={world.project_id}")
    assert "tag_api" in fields.text and "tag_web" in fields.text
    response = await client.form(
        "/deployments/",
        {
            "project_id": str(world.project_id),
            "environment_id": str(world.env_id),
            "name": "pr-9",
            "tag_web": "nightly",
            "request_key": "k1",
        },
    )
    assert response.status_code == 422 and "must match" in response.text
    assert 'value="pr-9"' in response.text
    ok = await client.form(
        "/deployments/",
        {
            "project_id": str(world.project_id),
            "environment_id": str(world.env_id),
            "name": "pr-9",
            "tag_web": "v3",
            "request_key": "k2",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/deployments/")


async def test_events_stream_carries_published_status_changes(web_app, world, queue):
    """The generator behind /events (httpx's in-process transport cannot stream, so the
    generator is driven directly; the route's access check is covered above)."""
    from web import sse

    dep = await world.deploy("sse", tags={"web": "v1"})
    stream = sse.deployment_events(dep.id)
    hello = await asyncio.wait_for(anext(stream), 5)
    assert hello.event == "hello"
    await events.publish(f"deployment:{dep.id}", kind="status", status="running")
    message = await asyncio.wait_for(anext(stream), 5)
    await stream.aclose()
    assert message.event == "status" and json.loads(message.data)["status"] == "running"


async def test_list_shows_only_visible_deployments_filters_and_pages(web_app, world, client, queue):
    from core.tables import Project
    from web.pages import deployments as page_module

    hidden_project = await insert_row(Project(name="hidden-shop", cpu=0.01, memory_mb=16))
    version = (await PipelineVersion.select(PipelineVersion.id).first().run())["id"]
    rows = [
        Deployment(
            project=world.project_id if i % 2 else hidden_project,
            environment=world.env_id,
            pipeline_version=version,
            name=f"d{i}",
            status="failed" if i % 3 == 0 else "running",
        )
        for i in range(1, 121)
    ]
    await Deployment.insert(*rows).run()
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    await client.login("quinn", "quinn-password-1")

    first = await client.get("/deployments")
    names = re.findall(r'<a href="/deployments/\d+">(d\d+)</a>', first.text)
    assert names[:3] == ["d119", "d117", "d115"] and len(names) == page_module.PAGE_SIZE
    assert "hidden-shop" not in first.text and ">shop</option>" in first.text
    older = re.search(r'href="(/deployments\?[^"]*before=\d+)"', first.text).group(1)
    second = await client.get(older.replace("&amp;", "&"))
    second_names = re.findall(r'<a href="/deployments/\d+">(d\d+)</a>', second.text)
    assert second_names[0] == "d19" and "Older deployments" not in second.text
    assert len(names) + len(second_names) == 60

    failed = await client.get(f"/deployments?status=failed&project_id={world.project_id}")
    failed_names = re.findall(r'<a href="/deployments/\d+">(d\d+)</a>', failed.text)
    assert failed_names and all(int(n[1:]) % 6 == 3 for n in failed_names)
    assert len(failed_names) == 20

    async with await api_client(web_app, await user_view(world)) as api:
        listed = (await api.get("/api/v1/deployments")).json()
    assert {d["project_id"] for d in listed} == {world.project_id} and len(listed) == 60
