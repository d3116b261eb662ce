"""The JSON API's contract: bearer tokens, JSON errors with status_code + detail, access."""

from core.actor import Actor
from core.services import accounts, environments, projects, teams
from core.tables import AuditEvent, Project, Team
from shoaltest.web import api_client


async def make_user(admin, name="quinn"):
    actor = Actor(id=admin.id, username=admin.username, is_admin=True)
    return actor, await accounts.create_user(actor, username=name, password="quinn-password-1")


async def test_bearer_token_reaches_the_api_and_a_bad_one_gets_json_401(web_app, admin):
    api = await api_client(web_app, admin)
    async with api:
        me = await api.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["username"] == "admin"
        api.headers["Authorization"] = "Bearer shoal_not-a-real-token"
        refused = await api.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json() == {"status_code": 401, "detail": "Invalid or revoked API token."}


async def test_malformed_json_gets_a_400_json_answer_and_nothing_is_created(web_app, admin):
    async with await api_client(web_app, admin) as api:
        response = await api.post(
            "/api/v1/teams", content=b"{not json", headers={"content-type": "application/json"}
        )
        wrong_shape = await api.post("/api/v1/teams", json={"name": 42})
    assert response.status_code == 400 and "detail" in response.json()
    assert wrong_shape.status_code == 400 and wrong_shape.json()["status_code"] == 400
    assert await Team.count().run() == 0


async def test_duplicate_and_overlong_names_are_refused_with_field_messages(web_app, admin):
    async with await api_client(web_app, admin) as api:
        assert (await api.post("/api/v1/teams", json={"name": "qa"})).status_code == 201
        duplicate = await api.post("/api/v1/teams", json={"name": "qa"})
        overlong = await api.post("/api/v1/teams", json={"name": "x" * 65})
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == "A team named 'qa' already exists."
    assert overlong.status_code == 422 and "At most 64" in overlong.json()["detail"]
    refused = await AuditEvent.count().where(AuditEvent.outcome == "refused").run()
    assert refused == 2  # refusals are audited too


async def test_user_sees_only_granted_projects_and_read_only_cannot_write(web_app, admin):
    actor, user = await make_user(admin)
    shared = await projects.create_project(actor, projects.ProjectInput(name="shop"))
    hidden = await projects.create_project(actor, projects.ProjectInput(name="secret-proj"))
    team = await teams.create_team(actor, "qa")
    await teams.add_member(actor, team.id, user.id)
    await teams.grant(actor, team.id, "project", shared.id, "read")
    async with await api_client(web_app, user) as api:
        listed = await api.get("/api/v1/projects")
        visible = await api.get(f"/api/v1/projects/{shared.id}")
        invisible = await api.get(f"/api/v1/projects/{hidden.id}")
        write = await api.put(
            f"/api/v1/projects/{shared.id}", json={"name": "renamed", "cpu": 1, "memory_mb": 512}
        )
        delete_hidden = await api.delete(f"/api/v1/projects/{hidden.id}")
        admin_only = await api.get("/api/v1/users")
    assert [p["name"] for p in listed.json()] == ["shop"]
    assert visible.status_code == 200
    assert invisible.status_code == 404 and delete_hidden.status_code == 404
    assert write.status_code == 403
    assert admin_only.status_code == 403 and admin_only.json()["detail"] == "This needs an admin."
    assert await Project.count().where(Project.name == "renamed").run() == 0


async def test_environment_grant_makes_the_environment_visible(web_app, admin):
    actor, user = await make_user(admin)
    env = await environments.create_environment(
        actor, environments.EnvironmentInput(name="qa", base_domain="qa.example.com")
    )
    team = await teams.create_team(actor, "testers")
    await teams.add_member(actor, team.id, user.id)
    async with await api_client(web_app, user) as api:
        before = await api.get(f"/api/v1/environments/{env.id}")
        await teams.grant(actor, team.id, "environment", env.id, "full")
        after = await api.get(f"/api/v1/environments/{env.id}")
    assert before.status_code == 404 and after.status_code == 200


async def test_api_token_lifecycle_revoked_token_stops_working(web_app, admin):
    async with await api_client(web_app, admin) as api:
        created = await api.post("/api/v1/me/tokens", json={"name": "ci"})
        assert created.status_code == 201
        token, token_id = created.json()["token"], created.json()["info"]["id"]
        listed = await api.get("/api/v1/me/tokens")
        assert "token" not in listed.text.replace('"token_', "")  # never the secret again
        api.headers["Authorization"] = f"Bearer {token}"
        assert (await api.get("/api/v1/me")).status_code == 200
        assert (await api.delete(f"/api/v1/me/tokens/{token_id}")).status_code == 204
        assert (await api.get("/api/v1/me")).status_code == 401


async def test_openapi_schema_lists_the_public_api(web_app, client):
    schema = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/teams", "/api/v1/projects", "/api/v1/environments", "/api/v1/me"):
        assert path in schema["paths"]


async def test_health_and_metrics(web_app, client, admin):
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = (await client.get("/health/ready")).json()
    assert ready == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}
    async with await api_client(web_app, admin) as api:  # metrics are for admins (issue 14)
        metrics = await api.get("/metrics")
    assert metrics.status_code == 200 and "# TYPE" in metrics.text
