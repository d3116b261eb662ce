"""Where people set and see who may open deployment URLs: the environment and project forms,
the deployment's "URL access" page and its API. Secrets reach full access only, never the
audit log."""

from __future__ import annotations

import re

import pytest

from core.actor import Actor
from core.services import accounts, teams
from core.tables import AuditEvent, Deployment, Environment, PipelineVersion, Project
from shoaltest.db import insert_row
from shoaltest.keys import ensure_key
from shoaltest.web import ADMIN_PASSWORD, api_client

SYSTEM = Actor.system("tests")


@pytest.fixture
async def shop(db, admin):
    ensure_key()
    env = await insert_row(Environment(name="qa", base_domain="shoal.test", url_access="password"))
    project = await insert_row(Project(name="shop"))
    graph = {"nodes": [{"id": "web", "kind": "service", "config": {"port": 8080}}], "edges": []}
    version = await insert_row(PipelineVersion(project=project, version=1, graph=graph))
    deployment = await insert_row(
        Deployment(
            project=project,
            environment=env,
            pipeline_version=version,
            name="demo",
            status="running",
            ports={"web": 8080},
        )
    )
    return {"env": env, "project": project, "deployment": deployment}


async def _reader(env: int, level: str = "read") -> accounts.UserView:
    user = await accounts.create_user(SYSTEM, username=f"u-{level}", password="user-password-1")
    team = await teams.create_team(SYSTEM, f"t-{level}")
    await teams.add_member(SYSTEM, team.id, user.id)
    await teams.grant(SYSTEM, team.id, "environment", env, level)
    return user


async def test_environment_and_project_forms_set_the_policy(client, admin, shop):
    await client.login("admin", ADMIN_PASSWORD)
    env, project = shop["env"], shop["project"]
    form = {"name": "qa", "base_domain": "shoal.test", "cleanup_hours": "168", "tls_mode": "off"}
    bad = await client.form(f"/environments/{env}", {**form, "url_access": "vpn-only"})
    assert bad.status_code == 422 and "Must be one of: public, signed-in, password" in bad.text
    assert 'value="shoal.test"' in bad.text  # the input is kept
    saved = await client.form(f"/environments/{env}", {**form, "url_access": "signed-in"})
    assert saved.status_code == 303
    row = await Environment.select(Environment.url_access).where(Environment.id == env).first()
    assert row["url_access"] == "signed-in"

    project_form = {"name": "shop", "cpu": "1", "memory_mb": "512"}
    await client.form(f"/projects/{project}", {**project_form, "url_access": "public"})
    row = await Project.select(Project.url_access).where(Project.id == project).first()
    assert row["url_access"] == "public"
    await client.form(f"/projects/{project}", {**project_form, "url_access": ""})
    row = await Project.select(Project.url_access).where(Project.id == project).first()
    assert row["url_access"] is None


async def test_api_fields_and_bad_values(web_app, admin, shop):
    api = await api_client(web_app, admin)
    async with api:
        env = (await api.get(f"/api/v1/environments/{shop['env']}")).json()
        assert env["url_access"] == "password"
        refused = await api.put(
            f"/api/v1/environments/{shop['env']}",
            json={"name": "qa", "base_domain": "shoal.test", "url_access": "nobody"},
        )
        assert refused.status_code in (400, 422)
        assert set(refused.json()) >= {"status_code", "detail"}
        project = (await api.get(f"/api/v1/projects/{shop['project']}")).json()
        assert project["url_access"] is None


async def test_url_access_page_and_api_show_secrets_to_full_access_only(
    web_app, client, admin, shop
):
    dep = shop["deployment"]
    await client.login("admin", ADMIN_PASSWORD)
    page = await client.page(f"/deployments/{dep}/access")
    assert page.status_code == 200 and 'id="policy">password' in page.text
    password = re.search(r'id="url-password">([^<]+)<', page.text).group(1)
    bypass = re.search(r'id="bypass-token">([^<]+)<', page.text).group(1)
    assert bypass.startswith("shb_")

    created = await client.form(f"/deployments/{dep}/access/share-links", {"hours": "2"})
    assert created.status_code == 200
    url = re.search(r'id="share-url-1">([^<]+)<', created.text).group(1)
    assert url.startswith("http://web.demo.qa.shoal.test") and "/.shoal/share?t=shs_" in url
    token = url.rsplit("t=", 1)[1]
    too_long = await client.form(f"/deployments/{dep}/access/share-links", {"hours": "100000"})
    assert too_long.status_code == 422 and 'value="100000"' in too_long.text

    reader = await _reader(shop["env"])
    api = await api_client(web_app, reader)
    async with api:
        shown = (await api.get(f"/api/v1/deployments/{dep}/url-access")).json()
        assert shown["policy"] == "password"
        assert shown["password"] is None and shown["bypass_token"] is None
        for path, body in (
            ("url-access/rotate", {"kind": "bypass"}),
            ("share-links", {"hours": 1}),
        ):
            answer = await api.post(f"/api/v1/deployments/{dep}/{path}", json=body)
            assert answer.status_code == 403, path
        assert (await api.get(f"/api/v1/deployments/{dep}/share-links")).status_code == 403
        read_page = await api.get(f"/deployments/{dep}/access")
        assert password not in read_page.text and bypass not in read_page.text

    stranger = await accounts.create_user(SYSTEM, username="stranger", password="user-password-1")
    api = await api_client(web_app, stranger)
    async with api:
        assert (await api.get(f"/api/v1/deployments/{dep}/url-access")).status_code == 404

    api = await api_client(web_app, admin)
    async with api:
        made = await api.post(f"/api/v1/deployments/{dep}/share-links", json={})
        assert made.status_code == 201 and made.json()["token"].startswith("shs_")
        link_id = made.json()["link"]["id"]
        revoked = await api.post(f"/api/v1/deployments/{dep}/share-links/{link_id}/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        rotated = await api.post(
            f"/api/v1/deployments/{dep}/url-access/rotate", json={"kind": "bypass"}
        )
        assert rotated.status_code == 200 and rotated.json()["bypass_token"] != bypass
        bad = await api.post(f"/api/v1/deployments/{dep}/url-access/rotate", json={"kind": "x"})
        assert bad.status_code == 400  # not a kind the schema knows

    audit = await AuditEvent.select(AuditEvent.detail, AuditEvent.target_name).run()
    text = repr(audit)
    for secret in (password, bypass, token, made.json()["token"], rotated.json()["bypass_token"]):
        assert secret not in text


async def test_a_refused_rotate_goes_back_to_the_access_page_with_the_reason(client, admin, shop):
    dep = shop["deployment"]
    await client.login("admin", ADMIN_PASSWORD)
    refused = await client.form(f"/deployments/{dep}/access/rotate", {"kind": "x"})
    assert refused.status_code == 303
    assert refused.headers["location"] == f"/deployments/{dep}/access"
    page = await client.get(refused.headers["location"])
    assert 'class="toast toast-error" role="alert"' in page.text
    assert "Rotate the password or the bypass token." in page.text
