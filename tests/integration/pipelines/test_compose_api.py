"""/api/v1/projects/{id}/compose over the real app: preview, import, refusals, access."""

from core.actor import Actor
from core.services import accounts, pipelines, teams
from shoaltest.web import api_client

STACK = """
services:
  web:
    image: busybox:1.36
    command: httpd -f -p 8080
    ports: ["8080"]
    environment: {DB_PASSWORD: "${DB_PASSWORD:-devpass}", MODE: "${MODE}"}
    depends_on: {db: {condition: service_healthy}}
  db:
    image: busybox:1.36
    expose: ["5432"]
    healthcheck: {test: ["CMD", "nc", "-z", "localhost", "5432"]}
"""


async def test_preview_then_import(web_app, admin, shop):
    url = f"/api/v1/projects/{shop.project.id}/compose"
    async with await api_client(web_app, admin) as api:
        first = await api.post(f"{url}/preview", json={"file": STACK})
        assert first.status_code == 200, first.text
        answer = first.json()
        assert answer["ok"] is False
        assert answer["variables"] == ["DB_PASSWORD", "MODE"]
        assert answer["problems"] == [
            "services.web.environment.MODE: the variable MODE has no value "
            "(give one, or a default)."
        ]
        choices = {"variables": {"MODE": "qa"}}
        second = await api.post(f"{url}/preview", json={"file": STACK, "choices": choices})
        answer = second.json()
        assert answer["ok"] is True and answer["secrets"] == ["WEB_DB_PASSWORD"]
        assert "devpass" not in second.text  # secret values never come back
        web = answer["nodes"][0]
        assert (web["node_id"], web["port"], web["env"]["MODE"]) == ("web", 8080, "qa")
        saved = await api.post(
            f"{url}/import", json={"file": STACK, "choices": choices, "base_version": 0}
        )
        assert saved.status_code == 201, saved.text
        assert saved.json()["version"] == 1
        again = await api.post(
            f"{url}/import", json={"file": STACK, "choices": choices, "base_version": 0}
        )
        assert again.status_code == 422
        assert "already has a service named 'shop-web'" in again.json()["detail"]


async def test_bad_files_answer_422_with_problems(web_app, admin, shop):
    url = f"/api/v1/projects/{shop.project.id}/compose"
    async with await api_client(web_app, admin) as api:
        bad_yaml = await api.post(f"{url}/preview", json={"file": "services: [oops"})
        assert bad_yaml.status_code == 422
        assert bad_yaml.json()["problems"][0].startswith("Invalid YAML: line")
        unknown = await api.post(f"{url}/import", json={"file": "services: {}\nextra: 1\n"})
        assert unknown.status_code == 422
        assert unknown.json()["problems"] == [
            "top level: unknown key 'extra' (extensions must start with 'x-')"
        ]
        host = "services: {app: {image: busybox, network_mode: host, build: .}}"
        refused = await api.post(f"{url}/import", json={"file": host})
        assert refused.status_code == 422
        assert refused.json()["problems"] == [
            "services.app.network_mode: only the deployment's own network is available.",
            "services.app.build: Shoal runs images from a registry: build it in CI and name it "
            "in 'image'.",
        ]
        huge = await api.post(f"{url}/preview", json={"file": "#" * (10 * 1024 * 1024 + 1)})
        assert huge.status_code == 422
        assert huge.json()["problems"] == ["A compose file is at most 10 MB."]
        not_json = await api.post(f"{url}/preview", content=b"file=x")
        assert not_json.status_code == 422
    assert await pipelines.latest_number(shop.project.id) == 0


async def test_only_admins_import_and_strangers_see_nothing(web_app, shop):
    system = Actor.system("tests")
    reader = await accounts.create_user(system, username="qa", password="qa-password-1")
    stranger = await accounts.create_user(system, username="zed", password="zed-password-1")
    team = await teams.create_team(system, "qa", "")
    await teams.add_member(system, team.id, reader.id)
    await teams.grant(system, team.id, "project", shop.project.id, "full")
    url = f"/api/v1/projects/{shop.project.id}/compose"
    async with await api_client(web_app, reader) as api:
        assert (await api.post(f"{url}/preview", json={"file": STACK})).status_code == 403
        assert (await api.post(f"{url}/import", json={"file": STACK})).status_code == 403
    async with await api_client(web_app, stranger) as api:
        assert (await api.post(f"{url}/preview", json={"file": STACK})).status_code == 404
        assert (await api.post(f"{url}/import", json={"file": STACK})).status_code == 404


async def test_the_compose_calls_are_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    base = "/api/v1/projects/{project_id}/compose"
    assert paths[base + "/import"]["post"]["requestBody"]["content"]["application/json"]
    assert "422" in paths[base + "/preview"]["post"]["responses"]
