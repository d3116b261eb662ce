"""Catalog service env values (often credentials) through every page and API route that shows a
service: a signed-in user who is not an admin never reads them; an admin does.

ROWS is the access table for service env values: (how, method, url, status for a non-admin).
Add a row whenever a new route shows a service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from core.actor import Actor
from core.services import accounts, catalog, projects, teams
from core.services.catalog import ServiceInput
from core.tables import PipelineVersion, Registry
from shoaltest.db import insert_row
from shoaltest.web import ADMIN_PASSWORD, WebClient, api_client

SECRET_VALUE = "hunter2-literal-value"
USER_PASSWORD = "quinn-password-1"

ROWS = [
    ("api", "GET", "/api/v1/services", 200),
    ("api", "GET", "/api/v1/services/{service}", 200),
    ("page", "GET", "/services/", 404),
    ("page", "GET", "/services/{service}", 404),
    ("page", "GET", "/services/{service}/tag-select", 200),
    ("page", "GET", "/projects/{project}/pipeline/", 200),
    ("page", "GET", "/projects/{project}/pipeline/versions/1", 200),
    ("page", "POST", "/projects/{project}/pipeline/panel", 200),
]


@dataclass
class Setting:
    admin: accounts.UserView
    user: accounts.UserView
    service_id: int
    project_id: int
    graph: dict

    def url(self, template: str) -> str:
        return template.format(service=self.service_id, project=self.project_id)


@pytest.fixture
async def setting(admin) -> Setting:
    """A service whose env holds a literal credential, used by a project a user may read."""
    actor = Actor(id=admin.id, username=admin.username, is_admin=True)
    user = await accounts.create_user(actor, username="quinn", password=USER_PASSWORD)
    registry = await insert_row(Registry(name="local", url="http://127.0.0.1:5999"))
    service = await catalog.create_service(
        actor,
        ServiceInput(
            name="db",
            registry_id=registry,
            image="shop/db",
            tag="1.0",
            env={"DB_PASSWORD": SECRET_VALUE, "MODE": "plain"},
        ),
    )
    project = await projects.create_project(actor, projects.ProjectInput(name="shop"))
    graph = {"nodes": [{"id": "db", "kind": "service", "config": {"service_id": service.id}}]}
    graph |= {"edges": [], "layout": {}}
    await insert_row(PipelineVersion(project=project.id, version=1, graph=graph))
    team = await teams.create_team(actor, "qa")
    await teams.add_member(actor, team.id, user.id)
    await teams.grant(actor, team.id, "project", project.id, "read")
    return Setting(admin, user, service.id, project.id, graph)


async def fetch(client: WebClient, setting: Setting, method: str, url: str):
    if method == "POST":  # the pipeline node panel: the graph as the editor posts it
        data = {"graph": json.dumps(setting.graph), "node": "db"}
        return await client.form(setting.url(url), data)
    return await client.get(setting.url(url))


@pytest.mark.parametrize(("how", "method", "url", "status"), ROWS)
async def test_a_user_never_reads_service_env_values(
    web_app, client, setting, how, method, url, status
):
    if how == "api":
        async with await api_client(web_app, setting.user) as api:
            answer = await fetch(api, setting, method, url)
    else:
        await client.login("quinn", USER_PASSWORD)
        answer = await fetch(client, setting, method, url)
    assert answer.status_code == status, answer.text[:500]
    assert SECRET_VALUE not in answer.text
    if how == "api":
        body = answer.json()
        for seen in body if isinstance(body, list) else [body]:
            assert seen["env"] == {"DB_PASSWORD": "", "MODE": ""} and seen["env_hidden"] is True


async def test_an_admin_reads_env_values_and_the_form_warns_about_written_out_ones(
    web_app, client, setting
):
    async with await api_client(web_app, setting.admin) as api:
        one = (await api.get(setting.url("/api/v1/services/{service}"))).json()
    assert one["env"]["DB_PASSWORD"] == SECRET_VALUE and one["env_hidden"] is False
    await client.login("admin", ADMIN_PASSWORD)
    form = await client.get(setting.url("/services/{service}"))
    assert SECRET_VALUE in form.text
    assert "Credentials belong in the project's secrets" in form.text
    assert "DB_PASSWORD looks like a credential written out" in form.text
    assert "MODE" not in form.text.split('id="env-warning"')[1].split("</p>")[0]
