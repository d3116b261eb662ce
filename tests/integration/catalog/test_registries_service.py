"""Registries service against the real database and the real registry."""

import httpx
import pytest

from core.actor import Actor
from core.errors import Conflict, Forbidden, InvalidInput
from core.registry_client import RegistryAuthError
from core.services import audit, catalog, registries
from core.services.registries import ConnectionTestFailed, RegistryInput
from core.tables import Registry
from shoaltest.ports import free_port

pytestmark = pytest.mark.docker


async def test_docker_hub_is_created_once(db):
    await registries.ensure_default_registry()
    await registries.ensure_default_registry()
    listed = await registries.list_registries()
    assert [(r.name, r.url, r.is_default) for r in listed] == [
        ("docker-hub", "https://registry-1.docker.io", True)
    ]


async def test_password_is_write_only_and_encrypted(private_registry, registry):
    view = private_registry
    assert view.has_password and not hasattr(view, "password")
    stored = await Registry.select().where(Registry.id == view.id).first().run()
    assert registry.password not in str(stored)
    assert stored["password_ciphertext"].startswith("v1:")
    assert (await registries.credentials(view.id))[2] == registry.password


async def test_update_keeps_clears_or_replaces_the_password(catalog_admin, private_registry):
    base = {"name": "local", "url": private_registry.url, "username": "shoal"}
    kept = await registries.update_registry(
        catalog_admin, private_registry.id, RegistryInput(**base, password="")
    )
    assert kept.has_password
    replaced = await registries.update_registry(
        catalog_admin, private_registry.id, RegistryInput(**base, password="new")
    )
    assert (await registries.credentials(replaced.id))[2] == "new"
    cleared = await registries.update_registry(
        catalog_admin, private_registry.id, RegistryInput(**base, clear_password=True)
    )
    assert not cleared.has_password
    events = await audit.list_events(target_type="registry")
    assert [e.detail for e in events][:3] == ["password removed", "password replaced", ""]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the registry URL"),
        ("ftp://x", "must start with https://"),
        ("https://user:pw@host", "not the URL"),
        ("https://host?x=1", "https://host"),
    ],
)
async def test_bad_urls_are_refused(catalog_admin, url, message):
    with pytest.raises(InvalidInput, match=message):
        await registries.create_registry(catalog_admin, RegistryInput(name="r", url=url))


async def test_docker_hub_urls_are_normalised(catalog_admin):
    view = await registries.create_registry(
        catalog_admin, RegistryInput(name="hub2", url="docker.io")
    )
    assert view.url == "https://registry-1.docker.io"


async def test_duplicate_name_and_non_admin_are_refused(catalog_admin, private_registry):
    with pytest.raises(Conflict, match="exists"):
        await registries.create_registry(
            catalog_admin, RegistryInput(name="local", url="https://x.example")
        )
    with pytest.raises(Forbidden):
        await registries.create_registry(
            Actor(id=None, username="bob"), RegistryInput(name="x", url="https://x.example")
        )


async def test_delete_in_use_names_the_users_and_is_audited(catalog_admin, private_registry):
    await catalog.create_service(
        catalog_admin,
        catalog.ServiceInput(name="web", registry_id=private_registry.id, image="a", tag="1"),
    )
    with pytest.raises(Conflict, match="still used by service web"):
        await registries.delete_registry(catalog_admin, private_registry.id)
    events = await audit.list_events(target_type="registry")
    assert [(e.action, e.outcome) for e in events] == [
        ("registry.delete", "refused"),
        ("registry.create", "ok"),
    ]
    assert "service web" in events[0].detail


async def test_docker_hub_cannot_be_deleted(catalog_admin):
    await registries.ensure_default_registry()
    hub = (await registries.list_registries())[0]
    with pytest.raises(Conflict, match="built in"):
        await registries.delete_registry(catalog_admin, hub.id)


async def test_tags_filtered_and_ordered(private_registry):
    listing = await registries.list_tags(private_registry.id, "shoal/app", "v*")
    assert listing.tags == ["v1.10.0", "v1.10.0-rc1", "v1.9.2"]
    assert listing.hint == ""


async def test_pattern_matching_nothing_gives_a_hint(private_registry, app_tags):
    listing = await registries.list_tags(private_registry.id, "shoal/app", "release-*")
    assert listing.tags == []
    assert f"None of the {len(app_tags)} tags" in listing.hint


async def test_invalid_glob_is_refused_before_any_request(private_registry):
    with pytest.raises(InvalidInput, match="Unclosed") as caught:
        await registries.list_tags(private_registry.id, "shoal/app", "v[1")
    assert caught.value.field == "tag_pattern"


async def test_cache_serves_until_refresh(private_registry, registry, busybox_image):
    first = await registries.list_tags(private_registry.id, "shoal/app", "cache-*")
    assert first.tags == []
    registry.push(busybox_image, "shoal/app-cache", "cache-1")
    await registries.list_tags(private_registry.id, "shoal/app-cache")
    registry.push(busybox_image, "shoal/app-cache", "cache-2")
    cached = await registries.list_tags(private_registry.id, "shoal/app-cache")
    assert cached.tags == ["cache-1"]
    fresh = await registries.list_tags(private_registry.id, "shoal/app-cache", refresh=True)
    assert fresh.tags == ["cache-2", "cache-1"]


async def test_connection_check_uses_stored_or_typed_credentials(private_registry, registry):
    assert "as 'shoal'" in await registries.check_connection(private_registry.id)
    typed = RegistryInput(name="local", url=registry.url, username="shoal", password="bad")
    with pytest.raises(RegistryAuthError, match="wrong username or password"):
        await registries.check_connection(private_registry.id, typed)


async def test_connection_check_never_carries_the_stored_password_elsewhere(
    private_registry, bearer_registry, registry
):
    bearer_registry.token_auth_headers.clear()
    moved = RegistryInput(name="local", url=bearer_registry.url, username="shoal")
    with pytest.raises(RegistryAuthError):
        await registries.check_connection(private_registry.id, moved)
    stored = httpx.BasicAuth("shoal", registry.password)._auth_header
    empty = httpx.BasicAuth("shoal", "")._auth_header
    assert bearer_registry.token_auth_headers == [empty] and stored != empty


async def test_saving_after_a_failed_test_needs_a_yes_and_a_rename_needs_no_test(catalog_admin):
    dead = RegistryInput(name="later", url=f"http://127.0.0.1:{free_port()}", username="u")
    with pytest.raises(ConnectionTestFailed, match=r"Not saved: .*Cannot reach"):
        await registries.create_registry(catalog_admin, dead, test_first=True)
    assert [r.name for r in await registries.list_registries()] == []
    made = await registries.create_registry(catalog_admin, dead)  # the API's way: untested
    renamed = RegistryInput(name="renamed", url=dead.url, username="u")
    await registries.update_registry(catalog_admin, made.id, renamed, test_first=True)
    with pytest.raises(ConnectionTestFailed):
        moved = RegistryInput(name="renamed", url=f"http://127.0.0.1:{free_port()}", username="u")
        await registries.update_registry(catalog_admin, made.id, moved, test_first=True)
    assert (await registries.get_registry(made.id)).url == dead.url
    events = await audit.list_events(target_type="registry")
    assert [(e.action, e.outcome) for e in events][:2] == [
        ("registry.update", "refused"),
        ("registry.update", "ok"),
    ]
