"""Catalog pages and HTMX fragments through the real app, database and registry."""

import re

import msgspec
import pytest

from core import runtime
from core.actor import Actor
from core.services import accounts, registries
from core.services.projects import ProjectInput, create_project
from core.tables import PipelineVersion, Project
from shoaltest.db import insert_row
from shoaltest.web import ADMIN_PASSWORD

pytestmark = pytest.mark.docker
HX = {"HX-Request": "true"}


@pytest.fixture
async def signed_in(client, admin, secret_key):
    await client.login("admin", ADMIN_PASSWORD)
    return client


async def add_registry(client, registry, password=None) -> int:
    answer = await client.form(
        "/registries/",
        {
            "name": "local",
            "url": registry.url,
            "username": registry.username,
            "password": password or registry.password,
            # A wrong password fails the connection test run on save: saved on purpose.
            **({"save_untested": "on"} if password else {}),
        },
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


async def test_registry_pages_never_render_the_password(signed_in, registry):
    registry_id = await add_registry(signed_in, registry)
    for url in ("/registries/", f"/registries/{registry_id}"):
        page = await signed_in.page(url)
        assert page.status_code == 200 and "local" in page.text
        assert registry.password not in page.text
    assert "Set. Leave empty to keep it." in page.text


async def test_failed_create_does_not_echo_the_password(signed_in):
    answer = await signed_in.form(
        "/registries/", {"name": "Bad Name", "url": "https://x.example", "password": "typed-pw"}
    )
    assert answer.status_code == 422 and "typed-pw" not in answer.text


async def test_a_registry_failing_its_test_is_saved_only_once_confirmed(signed_in, registry):
    """Issue 16: a bare host:port became https, saved despite the failed test, with a raw
    `[SSL: WRONG_VERSION_NUMBER]`. Now the form says what to type and asks first."""
    typed = {
        "name": "local",
        "url": registry.host,
        "username": registry.username,
        "password": registry.password,
    }
    refused = await signed_in.form("/registries/", typed)
    assert refused.status_code == 422
    assert f"answers plain HTTP; use http://{registry.host} instead" in refused.text
    assert "WRONG_VERSION_NUMBER" not in refused.text
    assert 'name="save_untested"' in refused.text
    assert 'value="local"' in refused.text and f'value="{registry.username}"' in refused.text
    assert f'value="https://{registry.host}"' not in refused.text  # kept as typed
    assert f'value="{registry.host}"' in refused.text
    assert registry.password not in refused.text and "Type the password again" in refused.text
    assert [r.name for r in await registries.list_registries()] == []

    confirmed = await signed_in.form("/registries/", {**typed, "save_untested": "on"})
    assert confirmed.status_code == 303, confirmed.text
    registry_id = int(confirmed.headers["location"].rsplit("/", 1)[1])
    fixed = {**typed, "url": registry.url}
    saved = await signed_in.form(f"/registries/{registry_id}", fixed)
    assert saved.status_code == 303, saved.text
    broken = await signed_in.form(f"/registries/{registry_id}", {**fixed, "password": "wrong"})
    assert broken.status_code == 422 and "wrong username or password" in broken.text
    assert (await registries.credentials(registry_id))[2] == registry.password


async def test_registry_url_with_a_newline_or_dots_is_refused_beside_the_field(signed_in):
    for url in ("https://reg\n.example", "https://..", "https://a..b:5000"):
        answer = await signed_in.form("/registries/", {"name": "r", "url": url})
        assert answer.status_code == 422, url
        assert 'aria-describedby="e-url"' in answer.text
        assert re.search(r'id="e-url" class="error">[^<]*(control|not a valid host)', answer.text)
    assert await registries.list_registries() == []


async def test_tag_browser_fragment(signed_in, registry, app_image):
    registry_id = await add_registry(signed_in, registry)
    url = f"/registries/{registry_id}/tags"
    answer = await signed_in.get(url, params={"image": app_image, "pattern": "v*"}, headers=HX)
    listed = re.findall(r"<code>([^<]+)</code>", answer.text)
    assert listed == ["v1.10.0", "v1.10.0-rc1", "v1.9.2"]
    bad = await signed_in.get(url, params={"image": app_image, "pattern": "v]"}, headers=HX)
    assert bad.status_code == 200 and "Unmatched" in bad.text
    none = await signed_in.get(url, params={"image": app_image, "pattern": "zz*"}, headers=HX)
    assert "None of the" in none.text


async def test_connection_test_explains_wrong_credentials_and_timeouts(
    signed_in, registry, silent_server
):
    registry_id = await add_registry(signed_in, registry, password="wrong")
    base = {"registry_id": str(registry_id), "name": "local", "username": registry.username}
    wrong = await signed_in.form("/registries/test", {**base, "url": registry.url})
    assert "wrong username or password" in wrong.text
    right = await signed_in.form(
        "/registries/test", {**base, "url": registry.url, "password": registry.password}
    )
    assert "Connected to" in right.text
    runtime.install(settings=msgspec.structs.replace(runtime.settings(), registry_timeout_s=0.5))
    slow = await signed_in.form("/registries/test", {**base, "url": f"http://{silent_server}"})
    assert slow.status_code == 200 and "did not answer within 0.5 s" in slow.text


async def test_service_form_preview_and_dropdown(signed_in, web_app, registry, app_image):
    registry_id = await add_registry(signed_in, registry)
    fields = {
        "name": "web",
        "registry_id": str(registry_id),
        "image": app_image,
        "tag_mode": "selectable",
        "tag_pattern": "1.2.*",
        "port": "8080",
        "cpu": "0.5",
        "memory_mb": "256",
        "env": "GREETING=hello\nDB=${{ secrets.DB }}",
    }
    preview = await signed_in.get("/services/preview", params=fields, headers=HX)
    assert "Matches 2 tags" in preview.text
    made = await signed_in.form("/services/", fields)
    assert made.status_code == 303, made.text
    service_id = int(made.headers["location"].rsplit("/", 1)[1])
    page = await signed_in.page(f"/services/{service_id}")
    assert "GREETING=hello" in page.text
    dropdown = await signed_in.get(f"/services/{service_id}/tag-select", headers=HX)
    assert re.findall(r'<option value="([^"]+)"', dropdown.text) == ["1.2.10", "1.2.3"]


async def test_service_form_keeps_input_and_names_the_field(signed_in, registry):
    registry_id = await add_registry(signed_in, registry)
    answer = await signed_in.form(
        "/services/",
        {
            "name": "web",
            "registry_id": str(registry_id),
            "image": "a",
            "tag": "1",
            "cpu": "-2",
            "memory_mb": "256",
        },
    )
    assert answer.status_code == 422
    assert 'aria-invalid="true" aria-describedby="e-cpu"' in answer.text
    assert 'value="web"' in answer.text


async def test_plugin_form_reports_bad_json(signed_in, registry):
    registry_id = await add_registry(signed_in, registry)
    answer = await signed_in.form(
        "/plugins/",
        {
            "name": "seed",
            "registry_id": str(registry_id),
            "image": "a",
            "tag": "1",
            "param_schema": "{not json",
            "timeout_s": "300",
            "cpu": "0.5",
            "memory_mb": "64",
        },
    )
    assert answer.status_code == 422 and "Not valid JSON (line 1" in answer.text


async def test_plugin_edit_keeps_input_and_a_refused_delete_says_why(signed_in, registry):
    """The form helper on the plugin page: a refused save keeps what was typed; a delete
    refused because a current pipeline uses the plugin is an alert on the plugin's page."""
    registry_id = await add_registry(signed_in, registry)
    fields = {"name": "seed", "registry_id": str(registry_id), "image": "a", "tag": "1"}
    fields |= {"timeout_s": "300", "cpu": "0.5", "memory_mb": "64"}
    made = await signed_in.form("/plugins/", fields)
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    plugin_id = int(url.rsplit("/", 1)[1])
    edit = await signed_in.form(url, {**fields, "description": "typed", "memory_mb": "-1"})
    assert edit.status_code == 422 and ">typed</textarea>" in edit.text
    project_id = await insert_row(Project(name="shop"))
    graph = {"nodes": [{"id": "n1", "kind": "plugin", "config": {"plugin_id": plugin_id}}]}
    await insert_row(PipelineVersion(project=project_id, version=1, graph={**graph, "edges": []}))
    refused = await signed_in.form(f"{url}/delete", {})
    assert refused.status_code == 409 and "still used by" in refused.text
    assert 'class="toast toast-error" role="alert"' in refused.text
    assert f'action="/plugins/{plugin_id}"' in refused.text  # the plugin's own page


async def test_secrets_panel(signed_in, admin):
    project = await create_project(
        Actor(id=admin.id, username="admin", is_admin=True), ProjectInput(name="shop")
    )
    url = f"/projects/{project.id}/secrets/"
    saved = await signed_in.form(url, {"name": "DB_PASSWORD", "value": "pw-never-shown"})
    assert saved.status_code == 303
    panel = await signed_in.get(f"/projects/{project.id}/secrets/panel", headers=HX)
    assert "DB_PASSWORD" in panel.text
    assert re.search(r"set just now</span> by admin", panel.text)
    assert "pw-never-shown" not in panel.text
    bad = await signed_in.form(url, {"name": "not valid", "value": "pw-typed"})
    assert bad.status_code == 422 and "pw-typed" not in bad.text and "secret name" in bad.text
    assert 'value="not valid"' in bad.text  # the name is kept, the value never


async def test_admin_pages_are_invisible_to_users(client, admin):
    await accounts.create_user(
        Actor(id=admin.id, username="admin", is_admin=True),
        username="qa",
        password="qa-password-12",
    )
    await client.login("qa", "qa-password-12")
    for url in ("/registries/", "/services/", "/plugins/"):
        assert (await client.get(url)).status_code == 404
