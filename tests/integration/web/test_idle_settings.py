"""Where admins set the idle period (issue 20): the environment and project forms and the API.
A refused value comes back beside its field with the input kept (form) or as 422 JSON (API)."""

from __future__ import annotations

import pytest

from core.tables import Environment, Project
from shoaltest.db import insert_row
from shoaltest.web import ADMIN_PASSWORD, api_client

ENV_FORM = {"name": "qa", "base_domain": "shoal.test", "cleanup_hours": "168", "tls_mode": "off"}
PROJECT_FORM = {"name": "shop", "cpu": "1", "memory_mb": "512"}


@pytest.fixture
async def places(db, admin):
    env = await insert_row(Environment(name="qa", base_domain="shoal.test"))
    project = await insert_row(Project(name="shop"))
    return env, project


async def idle_of(table, row_id: int) -> int | None:
    row = await table.select(table.idle_minutes).where(table.id == row_id).first()
    return row["idle_minutes"]


async def test_the_environment_form_sets_the_period_and_refuses_bad_values(client, places):
    env, _ = places
    await client.login("admin", ADMIN_PASSWORD)
    page = await client.get(f"/environments/{env}")
    assert 'name="idle_minutes"' in page.text and 'id="idle-period">never' in page.text

    for value, message in [("-5", "cannot be negative"), ("1.5", "Enter a whole number")]:
        bad = await client.form(f"/environments/{env}", {**ENV_FORM, "idle_minutes": value})
        assert bad.status_code == 422 and message in bad.text
        assert f'value="{value}"' in bad.text and 'value="shoal.test"' in bad.text  # kept
    assert await idle_of(Environment, env) is None

    saved = await client.form(f"/environments/{env}", {**ENV_FORM, "idle_minutes": "30"})
    assert saved.status_code == 303 and await idle_of(Environment, env) == 30
    page = await client.get(f"/environments/{env}")
    assert 'id="idle-period">after 30 minutes' in page.text


async def test_a_project_inherits_overrides_or_turns_it_off(client, places):
    _, project = places
    await client.login("admin", ADMIN_PASSWORD)
    saved = await client.form(f"/projects/{project}", {**PROJECT_FORM, "idle_minutes": "0"})
    assert saved.status_code == 303 and await idle_of(Project, project) == 0
    page = await client.get(f"/projects/{project}")
    assert 'id="idle-period">never' in page.text and 'value="0"' in page.text
    await client.form(f"/projects/{project}", {**PROJECT_FORM, "idle_minutes": ""})
    assert await idle_of(Project, project) is None
    page = await client.get(f"/projects/{project}")
    assert 'id="idle-period">as each environment says' in page.text


async def test_the_api_takes_the_period_and_answers_422_for_a_bad_one(web_app, admin, places):
    env, project = places
    api = await api_client(web_app, admin)
    async with api:
        body = {"name": "qa", "base_domain": "shoal.test", "idle_minutes": -1}
        refused = await api.put(f"/api/v1/environments/{env}", json=body)
        assert refused.status_code == 422
        assert refused.json() == {
            "status_code": 422,
            "detail": "The idle period cannot be negative (0 = never sleep).",
        }
        done = await api.put(f"/api/v1/environments/{env}", json={**body, "idle_minutes": 45})
        assert done.status_code == 200 and done.json()["idle_minutes"] == 45
        body = {"name": "shop", "idle_minutes": 0}
        done = await api.put(f"/api/v1/projects/{project}", json=body)
        assert done.status_code == 200 and done.json()["idle_minutes"] == 0
        schema = (await api.get("/schema/openapi.json")).json()["components"]["schemas"]
    for name in ("EnvironmentInput", "ProjectInput"):
        documented = str(schema[name]["properties"]["idle_minutes"])
        assert "'minimum': 0" in documented and "'maximum': 525600" in documented
