"""The catalog's JSON API through the real app, database and registry (API-token auth)."""

import pytest

from core.actor import Actor
from core.services import accounts
from core.services.projects import ProjectInput, create_project
from shoaltest.ports import free_port
from shoaltest.web import api_client

pytestmark = pytest.mark.docker


@pytest.fixture
async def api(web_app, admin, secret_key):
    async with await api_client(web_app, admin) as client:
        yield client


@pytest.fixture
async def user_api(web_app, admin):
    user = await accounts.create_user(
        Actor(id=admin.id, username="admin", is_admin=True),
        username="qa",
        password="qa-password-12",
    )
    async with await api_client(web_app, user) as client:
        yield client


async def make_registry(api, registry, password=None) -> dict:
    body = {
        "name": "local",
        "url": registry.url,
        "username": registry.username,
        "password": password or registry.password,
    }
    answer = await api.post("/api/v1/registries", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_registry_create_never_returns_the_password(api, registry):
    made = await make_registry(api, registry)
    assert made["has_password"] is True and "password" not in made
    listed = (await api.get("/api/v1/registries")).text
    assert registry.password not in listed


async def test_tags_with_pattern_and_errors(api, registry, app_image):
    made = await make_registry(api, registry)
    url = f"/api/v1/registries/{made['id']}/tags"
    answer = await api.get(url, params={"image": app_image, "pattern": "v*"})
    assert answer.status_code == 200
    assert answer.json()["tags"] == ["v1.10.0", "v1.10.0-rc1", "v1.9.2"]
    empty = (await api.get(url, params={"image": app_image, "pattern": "zzz*"})).json()
    assert empty["tags"] == [] and "match" in empty["hint"]
    bad = await api.get(url, params={"image": app_image, "pattern": "v[1"})
    assert bad.status_code == 422 and "Unclosed" in bad.json()["detail"]
    checked = await api.post(f"/api/v1/registries/{made['id']}/test")
    assert checked.status_code == 200 and checked.json()["ok"] is True


async def test_wrong_credentials_and_unreachable_registry_are_explained(api, registry, app_image):
    made = await make_registry(api, registry, password="wrong")
    answer = await api.get(f"/api/v1/registries/{made['id']}/tags", params={"image": app_image})
    assert answer.status_code == 502
    assert "wrong username or password" in answer.json()["detail"]
    dead = await api.post(
        "/api/v1/registries", json={"name": "dead", "url": f"http://127.0.0.1:{free_port()}"}
    )
    answer = await api.post(f"/api/v1/registries/{dead.json()['id']}/test")
    assert answer.status_code == 503 and "Cannot reach" in answer.json()["detail"]


@pytest.mark.parametrize(
    "url", ["https://reg\n.example", "https://..", "ghcr.io/../x", "https://host:99999"]
)
async def test_registry_urls_are_validated_strictly(api, url):
    answer = await api.post("/api/v1/registries", json={"name": "r", "url": url})
    assert answer.status_code == 422
    body = answer.json()
    assert body["status_code"] == 422 and body["detail"]
    assert (await api.get("/api/v1/registries")).json() == []


async def test_create_saves_without_testing_the_connection(api):
    """Documented API behaviour: scripts may register a registry before it is up; the
    connection is tested by POST /registries/{id}/test."""
    dead = {"name": "later", "url": f"http://127.0.0.1:{free_port()}"}
    assert (await api.post("/api/v1/registries", json=dead)).status_code == 201


async def test_services_and_their_tags(api, user_api, registry, app_image):
    made = await make_registry(api, registry)
    body = {
        "name": "web",
        "registry_id": made["id"],
        "image": app_image,
        "tag_mode": "selectable",
        "tag_pattern": "1.2.*",
        "port": 8080,
    }
    service = await api.post("/api/v1/services", json=body)
    assert service.status_code == 201, service.text
    sid = service.json()["id"]
    tags = await user_api.get(f"/api/v1/services/{sid}/tags")
    assert tags.json()["tags"] == ["1.2.10", "1.2.3"]
    refused = await user_api.delete(f"/api/v1/services/{sid}")
    assert refused.status_code == 403
    bad = await api.post("/api/v1/services", json={**body, "name": "w2", "cpu": -1})
    assert bad.status_code == 422 and "CPU" in bad.json()["detail"]
    in_use = await api.delete(f"/api/v1/registries/{made['id']}")
    assert in_use.status_code == 409 and "service web" in in_use.json()["detail"]


async def test_plugins_schema_checked(api, registry):
    made = await make_registry(api, registry)
    body = {"name": "seed", "registry_id": made["id"], "image": "shoal/app", "tag": "v1"}
    bad = await api.post(
        "/api/v1/plugins",
        json={**body, "param_schema": {"type": "object", "properties": {"a": {"type": 5}}}},
    )
    assert bad.status_code == 422 and "Invalid JSON Schema" in bad.json()["detail"]
    good = await api.post("/api/v1/plugins", json={**body, "param_schema": {"type": "object"}})
    assert good.status_code == 201 and good.json()["timeout_s"] == 300


async def test_secrets_are_write_only(api, user_api, admin):
    project = await create_project(
        Actor(id=admin.id, username="admin", is_admin=True), ProjectInput(name="shop")
    )
    url = f"/api/v1/projects/{project.id}/secrets"
    answer = await api.put(f"{url}/DB_PASSWORD", json={"value": "hunter2"})
    assert answer.status_code == 200
    assert set(answer.json()) == {"name", "updated_at"}
    listed = await api.get(url)
    assert [s["name"] for s in listed.json()] == ["DB_PASSWORD"] and "hunter2" not in listed.text
    bad = await api.put(f"{url}/not-valid", json={"value": "x"})
    assert bad.status_code == 422 and "secret name" in bad.json()["detail"]
    assert (await user_api.get(url)).status_code == 404  # no grant: invisible
    assert (await api.delete(f"{url}/DB_PASSWORD")).status_code == 204
