"""Issue 16, item 2: the picked tag is never lost. A refused New deployment form keeps every
choice and hands the wanted tags to the HTMX tag fields; Clone starts from its source's tags
and stays "Clone <name>" after an error; a failed deployment can change its tags and retry
(same deployment, same name, a new run), from the page and the API."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from core.services import teams
from core.tables import AuditEvent, Deployment, PipelineRun
from shoaltest.web import api_client


class Fields(HTMLParser):
    """The page's h1 text, and every named form field with its value (the selected option's
    for a select), in order: hidden ones included."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.h1, self.fields, self._in_h1 = "", [], False
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "h1":
            self._in_h1 = True
        elif tag == "input" and found.get("name"):
            self.fields.append((found["name"], found.get("value") or ""))
        elif tag == "select":
            self._select = found.get("name")
        elif tag == "option" and self._select and "selected" in found:
            self.fields.append((self._select, found.get("value") or ""))

    def handle_endtag(self, tag):
        self._in_h1 = False if tag == "h1" else self._in_h1
        self._select = None if tag == "select" else self._select

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.fields if n == name), None)


def form_action(html: str) -> str:
    return re.search(r'<form method="post" action="([^"]+)" id="new-deployment"', html).group(1)


async def test_a_refused_new_form_keeps_every_choice_and_asks_for_the_picked_tag(world, client):
    await client.login("admin", "admin-password-1")
    await client.page("/deployments/new")
    refused = await client.form(
        "/deployments/",
        {
            "project_id": str(world.project_id),
            "environment_id": str(world.env_id),
            "name": "Not A Label",
            "tag_web": "v1",
            "request_key": "k1",
        },
    )
    assert refused.status_code == 422
    page = Fields(refused.text)
    assert page.h1 == "New deployment"
    assert page.value("project_id") == str(world.project_id)
    assert page.value("environment_id") == str(world.env_id)
    assert page.value("name") == "Not A Label"
    assert page.value("tag_web") == "v1"  # waits in #tag-fields for the dropdowns' load
    assert "hx-include=\"[name='project_id'], #tag-fields\"" in refused.text

    fields = await client.get(
        "/deployments/new/tags", params={"project_id": world.project_id, "tag_web": "v1"}
    )
    assert "tag-select?name=tag_web&selected=v1" in fields.text  # the dropdown is told what to pick


async def test_clone_starts_from_the_source_tags_and_stays_a_clone_after_an_error(
    world, client, queue
):
    source = await world.deploy("pr-1", tags={"web": "v2"})
    await client.login("admin", "admin-password-1")
    form = await client.page(f"/deployments/{source.id}/clone")
    page = Fields(form.text)
    assert page.h1 == "Clone pr-1" and page.value("tag_web") == "v2"
    assert form_action(form.text) == f"/deployments/{source.id}/clone"

    taken = await client.form(
        f"/deployments/{source.id}/clone",
        {"name": "pr-1", "tag_web": "v3", "request_key": "c1"},
    )
    assert taken.status_code == 409 and "already exists" in taken.text
    again = Fields(taken.text)
    assert again.h1 == "Clone pr-1"
    assert (again.value("tag_web"), again.value("name")) == ("v3", "pr-1")
    assert again.value("project_id") == str(world.project_id)
    assert form_action(taken.text) == f"/deployments/{source.id}/clone"

    made = await client.form(
        f"/deployments/{source.id}/clone", {"name": "pr-1b", "tag_web": "v3", "request_key": "c2"}
    )
    assert made.status_code == 303, made.text
    named = Deployment.name == "pr-1b"
    clone = await Deployment.select().where(named).output(load_json=True).first()
    assert clone["tags"] == {"api": "1.0", "web": "v3"}
    assert (clone["project"], clone["environment"]) == (world.project_id, world.env_id)
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).run()]
    assert "deployment.clone" in actions


async def fail(dep_id: int, error: str = "web: boom") -> None:
    await (
        Deployment.update({Deployment.status: "failed", Deployment.error: error})
        .where(Deployment.id == dep_id)
        .run()
    )


async def test_change_tags_and_retry_reruns_the_same_deployment(world, client, queue):
    dep = await world.deploy("pr-2", tags={"web": "v2"})
    await fail(dep.id)
    await client.login("admin", "admin-password-1")
    detail = await client.page(f"/deployments/{dep.id}")
    assert f'href="/deployments/{dep.id}/retry"' in detail.text
    assert "Change tags and retry" in detail.text

    form = await client.page(f"/deployments/{dep.id}/retry")
    page = Fields(form.text)
    assert page.h1 == "Change tags and retry pr-2" and page.value("tag_web") == "v2"
    assert form_action(form.text) == f"/deployments/{dep.id}/retry"

    bad = await client.form(f"/deployments/{dep.id}/retry", {"tag_web": "nightly"})
    assert bad.status_code == 422 and "must match" in bad.text
    kept = Fields(bad.text)
    assert kept.h1 == "Change tags and retry pr-2" and kept.value("tag_web") == "nightly"

    done = await client.form(f"/deployments/{dep.id}/retry", {"tag_web": "v3"})
    assert done.status_code == 303 and done.headers["location"] == f"/deployments/{dep.id}"
    row = await Deployment.select().where(Deployment.id == dep.id).output(load_json=True).first()
    assert (row["name"], row["status"], row["tags"]) == (
        "pr-2",
        "pending",
        {"api": "1.0", "web": "v3"},
    )
    assert await PipelineRun.count().where(PipelineRun.deployment == dep.id).run() == 2
    retried = await (
        AuditEvent.select()
        .where((AuditEvent.action == "deployment.retry") & (AuditEvent.outcome == "ok"))
        .first()
    )
    assert "web v2→v3" in retried["detail"]


async def test_the_api_retries_with_other_tags_and_read_access_may_not(world, web_app, queue):
    from core.services import accounts

    dep = await world.deploy("pr-3", tags={"web": "v2"})
    await fail(dep.id)
    admin = await accounts.get_user(world.admin.id)
    async with await api_client(web_app, admin) as api:
        wrong = await api.post(f"/api/v1/deployments/{dep.id}/retry", json={"tags": {"web": "x"}})
        assert wrong.status_code == 422 and "must match" in wrong.json()["detail"]
        ok = await api.post(f"/api/v1/deployments/{dep.id}/retry", json={"tags": {"web": "v4"}})
    assert ok.status_code == 200 and ok.json()["tags"] == {"api": "1.0", "web": "v4"}

    await fail(dep.id)
    reader = await accounts.get_user(world.user.id)
    async with await api_client(web_app, reader) as api:
        unseen = await api.post(f"/api/v1/deployments/{dep.id}/retry", json={"tags": {}})
    assert unseen.status_code == 404
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    async with await api_client(web_app, reader) as api:
        refused = await api.post(f"/api/v1/deployments/{dep.id}/retry", json={"tags": {}})
        plain = await api.post(f"/api/v1/deployments/{dep.id}/retry")
    assert (refused.status_code, plain.status_code) == (403, 403)


async def test_read_access_gets_no_clone_or_retry_form(world, client, queue):
    dep = await world.deploy("pr-4", tags={"web": "v2"})
    await fail(dep.id)
    await teams.grant(world.admin, world.team_id, "project", world.project_id, "read")
    await client.login("quinn", "quinn-password-1")
    for url in (f"/deployments/{dep.id}/clone", f"/deployments/{dep.id}/retry"):
        assert (await client.get(url)).status_code == 403
        assert (await client.form(url, {"name": "x", "tag_web": "v1"})).status_code == 403
