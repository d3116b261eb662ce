"""Who gets what, one row per endpoint: the status each kind of caller receives.

Callers: `anonymous`; `user` (signed in, no grant anywhere); `admin` (signed in by session);
`admin_token` (an admin's API token). Streams that stay open when allowed are listed only with
the callers they refuse; what they send when allowed is tested beside them
(deployments/test_stream_access.py), as is what a user sees of a service's env values
(web/test_service_env_access.py). Add a row for every endpoint whose access rule changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from core.actor import Actor
from core.services import accounts
from shoaltest.web import ADMIN_PASSWORD, WebClient, api_client

ROWS: list[tuple[str, str, dict[str, int]]] = [
    ("GET", "/metrics", {"anonymous": 401, "user": 403, "admin": 200, "admin_token": 200}),
    ("GET", "/deployments/stream-all", {"anonymous": 302}),
    ("GET", "/schema/swagger", {"anonymous": 200, "user": 200, "admin": 200}),
    ("GET", "/schema/openapi.json", {"anonymous": 200, "user": 200}),
    ("GET", "/health/live", {"anonymous": 200}),
    ("POST", "/account/password", {"anonymous": 302}),
    # Services: users may list them but never read env values (web/test_service_env_access.py).
    ("GET", "/services/", {"anonymous": 302, "user": 404, "admin": 200}),
    ("GET", "/api/v1/services", {"anonymous": 401, "user": 200, "admin_token": 200}),
    # Step outputs: read access sees them masked, full access reveals (audited); read and full
    # callers of a real deployment are in deployments/test_step_outputs.py. No deployment 1 here.
    ("GET", "/api/v1/deployments/1/steps", {"anonymous": 401, "user": 404, "admin_token": 404}),
    (
        "POST",
        "/api/v1/deployments/1/steps/appdb/reveal",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    ("POST", "/deployments/1/steps/appdb/reveal", {"anonymous": 302, "user": 404, "admin": 404}),
    # A plugin step's kept stderr: whoever sees the deployment (read access included; callers
    # of a real deployment are in plugins/test_plugin_logs_kept.py). No deployment 1 here.
    (
        "GET",
        "/deployments/1/runs/1/steps/appdb/log",
        {"anonymous": 302, "user": 404, "admin": 404},
    ),
    # Clone and Change tags and retry: full access to the deployment; read access gets 403
    # (deployments/test_form_choices.py, which also has the API retry with tags), no access
    # sees nothing. No deployment 1 here.
    ("GET", "/deployments/1/retry", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/deployments/1/retry", {"anonymous": 302, "user": 404}),
    ("POST", "/deployments/1/clone", {"anonymous": 302, "user": 404}),
    # A user's teams from the user page: admins only (the page itself is admin-only). The
    # admin is user 1 and team 0 does not exist, so the page says so (404).
    ("POST", "/users/1/teams", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/users/1/teams/1/leave", {"anonymous": 302, "user": 404, "admin": 404}),
    # The editor's live checks: who may save the pipeline (admins; 403 for those who see the
    # project is in pipelines/test_pipeline_check.py). No project 1 here.
    (
        "POST",
        "/api/v1/projects/1/pipeline/check",
        {"anonymous": 401, "user": 404, "admin": 404, "admin_token": 404},
    ),
    # Compose import: admins (403 for those who see the project, in
    # pipelines/test_compose_api.py and test_compose_pages.py). No project 1 here.
    (
        "POST",
        "/api/v1/projects/1/compose/preview",
        {"anonymous": 401, "user": 404, "admin": 404, "admin_token": 404},
    ),
    (
        "POST",
        "/api/v1/projects/1/compose/import",
        {"anonymous": 401, "user": 404, "admin": 404, "admin_token": 404},
    ),
    ("GET", "/projects/1/compose", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/projects/1/compose", {"anonymous": 302, "user": 404, "admin": 404}),
    # Export as a compose file: whoever sees the project (pipelines/test_compose_export.py).
    (
        "GET",
        "/api/v1/projects/1/compose/export",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    ("GET", "/projects/1/compose/export", {"anonymous": 302, "user": 404, "admin": 404}),
    # Single sign-on: the admin pages are invisible to others; the sign-in routes are open
    # (an unknown provider is a 404 page), linking needs a session. No provider here.
    ("GET", "/sso/", {"anonymous": 302, "user": 404, "admin": 200}),
    ("POST", "/sso/", {"anonymous": 302, "user": 404, "admin": 422}),
    ("GET", "/sso/1", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/sso/1", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/sso/1/delete", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/sso/1/mappings", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/sso/1/mappings/1/remove", {"anonymous": 302, "user": 404, "admin": 404}),
    ("GET", "/auth/oidc/corp/start", {"anonymous": 404, "user": 404, "admin": 404}),
    ("GET", "/auth/oidc/corp/callback", {"anonymous": 404, "user": 404, "admin": 404}),
    ("POST", "/auth/oidc/corp/link", {"anonymous": 302, "user": 404, "admin": 404}),
    ("GET", "/auth/oidc/corp/signed-out", {"anonymous": 200, "user": 303, "admin": 303}),
    # Registry pushes (issue 17): no user's session or API token counts, only the webhook
    # secret of a registry preview rule (deployments/test_preview_pushes.py). None here.
    ("POST", "/api/v1/previews/registry", {"anonymous": 401, "admin": 401, "admin_token": 401}),
    ("POST", "/api/v1/previews/dockerhub", {"anonymous": 401, "admin": 401, "admin_token": 401}),
    ("POST", "/api/v1/previews/push", {"anonymous": 401, "admin": 401, "admin_token": 401}),
    # Forge webhooks (issue 17): only the rule's secret counts, so every caller gets the same
    # answer; a form body is not JSON (400). Signatures: previews/test_webhooks.py.
    *[
        (
            "POST",
            f"/api/v1/previews/webhooks/{forge}",
            {"anonymous": 400, "admin": 400, "admin_token": 400},
        )
        for forge in ("github", "gitlab", "gitea")
    ],
    # Preview rules, previews, deliveries: whoever sees the project lists them; admins change
    # rules and redeliver; full access approves (previews/test_api.py). Nothing with id 1 here.
    (
        "GET",
        "/api/v1/projects/1/preview-rules",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    ("POST", "/api/v1/projects/1/preview-rules", {"anonymous": 401, "admin_token": 400}),
    ("PUT", "/api/v1/preview-rules/1", {"anonymous": 403, "admin_token": 400}),
    ("DELETE", "/api/v1/preview-rules/1", {"anonymous": 403, "admin_token": 404}),
    # Schedules (issue 20): whoever sees the project lists them; admins change them (the
    # service refuses others with 403). Nothing with id 1 here.
    ("GET", "/api/v1/projects/1/schedules", {"anonymous": 401, "user": 404, "admin_token": 404}),
    ("POST", "/api/v1/projects/1/schedules", {"anonymous": 401, "admin_token": 400}),
    ("PUT", "/api/v1/schedules/1", {"anonymous": 403, "admin_token": 404}),
    ("DELETE", "/api/v1/schedules/1", {"anonymous": 403, "admin_token": 404}),
    ("GET", "/projects/1/schedules", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/projects/1/schedules", {"anonymous": 302, "user": 404}),
    ("POST", "/projects/1/schedules/1/delete", {"anonymous": 302, "user": 404, "admin": 404}),
    ("GET", "/projects/1/schedules/1/edit", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/projects/1/schedules/1/edit", {"anonymous": 302, "user": 404, "admin": 404}),
    # An environment's office hours: whoever sees the environment lists them; environment
    # admins change them (deployments/test_schedule_pages.py). No environment 1 here.
    (
        "GET",
        "/api/v1/environments/1/schedules",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    ("POST", "/api/v1/environments/1/schedules", {"anonymous": 401, "admin_token": 400}),
    ("GET", "/environments/1/schedules", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/environments/1/schedules", {"anonymous": 302, "user": 404, "admin": 404}),
    ("GET", "/environments/1/schedules/1/edit", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/environments/1/schedules/1/edit", {"anonymous": 302, "user": 404, "admin": 404}),
    (
        "POST",
        "/environments/1/schedules/1/delete",
        {"anonymous": 302, "user": 404, "admin": 404},
    ),
    # Datasets (issue 24): whoever sees the project lists them; admins add and delete (the
    # service refuses others with 403; web/test_datasets.py). No project 1 here.
    ("GET", "/api/v1/projects/1/datasets", {"anonymous": 401, "user": 404, "admin_token": 404}),
    ("PUT", "/api/v1/projects/1/datasets/seed", {"anonymous": 403, "admin_token": 404}),
    ("POST", "/api/v1/projects/1/datasets/fetch", {"anonymous": 401, "admin_token": 400}),
    ("DELETE", "/api/v1/projects/1/datasets/seed", {"anonymous": 403, "admin_token": 404}),
    ("GET", "/projects/1/datasets", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/projects/1/datasets/fetch", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/projects/1/datasets/seed/delete", {"anonymous": 302, "user": 404, "admin": 404}),
    ("GET", "/api/v1/projects/1/previews", {"anonymous": 401, "user": 404, "admin_token": 404}),
    ("POST", "/api/v1/previews/1/approve", {"anonymous": 401, "user": 404, "admin_token": 404}),
    ("POST", "/api/v1/previews/1/reject", {"anonymous": 401, "user": 404, "admin_token": 404}),
    (
        "GET",
        "/api/v1/projects/1/webhook-deliveries",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    (
        "POST",
        "/api/v1/webhook-deliveries/1/redeliver",
        {"anonymous": 401, "user": 403, "admin_token": 404},
    ),
    # The project's Previews tab (previews/test_pages.py). No project 1 here.
    *[
        (method, f"/projects/1/previews{path}", {"anonymous": 302, "user": 404, "admin": 404})
        for method, path in (
            ("GET", ""),
            ("POST", "/rules"),
            ("GET", "/rules/1"),
            ("POST", "/rules/1"),
            ("POST", "/rules/1/delete"),
            ("POST", "/1/approve"),
            ("POST", "/1/reject"),
            ("POST", "/deliveries/1/redeliver"),
        )
    ],
    # Who may open deployment URLs (issue 18). Caddy's check and the pages on a deployment's
    # host take no Shoal session: without Caddy's X-Shoal-Deployment they open nothing (the
    # real flows are in ingress/test_url_access.py). Sign-in needs Shoal's session and a
    # deployment's address.
    ("GET", "/ingress-auth/check", {"anonymous": 404, "user": 404, "admin": 404}),
    ("GET", "/ingress-auth/signin", {"anonymous": 303, "user": 400, "admin": 400}),
    ("GET", "/ingress-auth/host/auth", {"anonymous": 403, "user": 403, "admin": 403}),
    ("GET", "/ingress-auth/host/share", {"anonymous": 403, "user": 403, "admin": 403}),
    ("GET", "/ingress-auth/host/password", {"anonymous": 200, "user": 200}),
    ("POST", "/ingress-auth/host/password", {"anonymous": 403, "user": 403, "admin": 403}),
    # A deployment's URL access: the policy for read access, secrets and share links for full
    # access (read access gets 403: web/test_url_access_pages.py). No deployment 1 here.
    ("GET", "/deployments/1/access", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/deployments/1/access/share-links", {"anonymous": 302, "user": 404, "admin": 404}),
    (
        "POST",
        "/deployments/1/access/share-links/1/revoke",
        {"anonymous": 302, "user": 404, "admin": 404},
    ),
    ("POST", "/deployments/1/access/rotate", {"anonymous": 302, "user": 404, "admin": 404}),
    (
        "GET",
        "/api/v1/deployments/1/url-access",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    ("POST", "/api/v1/deployments/1/url-access/rotate", {"anonymous": 401, "admin_token": 400}),
    (
        "GET",
        "/api/v1/deployments/1/share-links",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    ("POST", "/api/v1/deployments/1/share-links", {"anonymous": 401, "admin_token": 400}),
    (
        "POST",
        "/api/v1/deployments/1/share-links/1/revoke",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    # One-shot exec: full access (a real deployment's read and full callers are in
    # deployments/test_exec.py); the empty form body here is refused before any lookup.
    (
        "POST",
        "/api/v1/deployments/1/services/web/exec",
        {"anonymous": 401, "user": 400, "admin_token": 400},
    ),
    # Checkpoints (issue 24): read access lists them, full access saves, resets and deletes
    # (a real deployment's callers are in deployments/test_checkpoints_stack.py); the empty
    # body of a save is refused before any lookup. No deployment 1 here.
    ("GET", "/api/v1/deployments/1/databases", {"anonymous": 401, "user": 404, "admin_token": 404}),
    (
        "POST",
        "/api/v1/deployments/1/databases/appdb/checkpoints",
        {"anonymous": 401, "user": 400, "admin_token": 400},
    ),
    (
        "POST",
        "/api/v1/deployments/1/checkpoints/1/reset",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    (
        "DELETE",
        "/api/v1/deployments/1/checkpoints/1",
        {"anonymous": 403, "admin_token": 404},  # a DELETE without a token meets CSRF first
    ),
    (
        "POST",
        "/deployments/1/databases/appdb/checkpoints",
        {"anonymous": 302, "user": 404, "admin": 404},
    ),
    ("POST", "/deployments/1/checkpoints/1/reset", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/deployments/1/checkpoints/1/delete", {"anonymous": 302, "user": 404, "admin": 404}),
    # Reset to the seeded state (issue 24): full access (a real deployment's call is in
    # deployments/test_datasets_stack.py). No deployment 1 here.
    (
        "POST",
        "/api/v1/deployments/1/databases/appdb/reset-seed",
        {"anonymous": 401, "user": 404, "admin_token": 404},
    ),
    (
        "POST",
        "/deployments/1/databases/appdb/reset-seed",
        {"anonymous": 302, "user": 404, "admin": 404},
    ),
    # The terminal page: full access (no deployment 1 here). Its WebSocket refuses callers in
    # its own frames (4401/4403/4404), tested with a real deployment in
    # deployments/test_terminal.py.
    ("GET", "/deployments/1/services/web/terminal", {"anonymous": 302, "user": 404, "admin": 404}),
    # Notification channels (issue 19): admins only, invisible to others; personal
    # notifications belong to whoever is signed in; the extend link needs a session (and full
    # access, web/test_notifications_pages.py). No channel or deployment 1 here.
    ("GET", "/notifications/", {"anonymous": 302, "user": 404, "admin": 200}),
    ("POST", "/notifications/", {"anonymous": 302, "user": 404, "admin": 422}),
    ("GET", "/notifications/1", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/notifications/1", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/notifications/1/delete", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/notifications/1/test", {"anonymous": 302, "user": 404, "admin": 404}),
    ("GET", "/notifications/1/log", {"anonymous": 302, "user": 404, "admin": 404}),
    ("GET", "/account/notifications", {"anonymous": 302, "user": 200, "admin": 200}),
    ("POST", "/account/notifications", {"anonymous": 302, "user": 422, "admin": 422}),
    ("GET", "/deployments/1/extend-link/x", {"anonymous": 302, "user": 404, "admin": 404}),
    # Sleep and wake: full access to the deployment (read access gets 403, a real deployment's
    # callers are in deployments/test_sleep_wake.py). No deployment 1 here.
    ("POST", "/deployments/1/sleep", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/deployments/1/wake", {"anonymous": 302, "user": 404, "admin": 404}),
    ("POST", "/api/v1/deployments/1/sleep", {"anonymous": 401, "admin_token": 404}),
    ("POST", "/api/v1/deployments/1/wake", {"anonymous": 401, "admin_token": 404}),
    # Where Caddy sends a sleeping deployment's host (X-Shoal-Deployment set by Caddy): public
    # like the host itself; no such deployment here (web/test_ingress_wake.py has real ones).
    ("GET", "/ingress-wake", {"anonymous": 404, "user": 404, "admin": 404}),
    (
        "GET",
        "/api/v1/notification-channels",
        {"anonymous": 401, "user": 403, "admin": 200, "admin_token": 200},
    ),
    ("POST", "/api/v1/notification-channels", {"anonymous": 401, "user": 403, "admin_token": 400}),
    (
        "GET",
        "/api/v1/notification-channels/1",
        {"anonymous": 401, "user": 403, "admin_token": 404},
    ),
    (
        "POST",
        "/api/v1/notification-channels/1/test",
        {"anonymous": 401, "user": 403, "admin_token": 404},
    ),
    (
        "GET",
        "/api/v1/notification-channels/1/deliveries",
        {"anonymous": 401, "user": 403, "admin_token": 404},
    ),
    ("GET", "/api/v1/me/notifications", {"anonymous": 401, "user": 200, "admin_token": 200}),
]


@contextlib.asynccontextmanager
async def caller(web_app, admin, who: str) -> AsyncIterator[WebClient]:
    if who == "admin_token":
        async with await api_client(web_app, admin) as client:
            yield client
        return
    transport = httpx.ASGITransport(app=web_app)  # type: ignore[arg-type]
    async with WebClient(transport=transport, base_url="http://testserver") as client:
        if who == "user":
            actor = Actor(id=admin.id, username="admin", is_admin=True)
            await accounts.create_user(actor, username="nogrant", password="nogrant-password")
            assert (await client.login("nogrant", "nogrant-password")).status_code == 303
        elif who == "admin":
            assert (await client.login("admin", ADMIN_PASSWORD)).status_code == 303
        yield client


@pytest.mark.parametrize(
    ("method", "path", "who", "expected"),
    [(m, p, who, code) for m, p, table in ROWS for who, code in table.items()],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_access_table(web_app, admin, method, path, who, expected):
    async with caller(web_app, admin, who) as client:
        if method == "GET":
            response = await client.get(path)
        elif method == "POST":  # with the page's CSRF token, as a browser would send it
            response = await client.form(path, {})
        else:  # PUT, DELETE: JSON API calls, with an empty body (anonymous: no CSRF token, 403)
            response = await client.request(method, path, json={})
    assert response.status_code == expected, response.text[:300]
