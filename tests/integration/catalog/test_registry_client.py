"""RegistryClient against the real docker-registry (basic auth) and a bearer-token front."""

import time

import pytest

from core.registry_client import (
    RegistryAuthError,
    RegistryClient,
    RegistryUnreachable,
    RepositoryNotFound,
)
from shoaltest.ports import free_port

pytestmark = pytest.mark.docker


async def test_basic_auth_lists_every_tag_across_pages(registry, app_image, app_tags):
    async with RegistryClient(registry.url, registry.username, registry.password) as client:
        tags = await client.list_tags(app_image, page_size=2)
    assert sorted(tags) == sorted(app_tags)


async def test_basic_auth_connection_check(registry):
    async with RegistryClient(registry.url, registry.username, registry.password) as client:
        assert "as 'shoal'" in await client.check()


async def test_wrong_password_is_explained(registry, app_image):
    async with RegistryClient(registry.url, registry.username, "wrong") as client:
        with pytest.raises(RegistryAuthError, match="wrong username or password"):
            await client.list_tags(app_image)
        with pytest.raises(RegistryAuthError, match="401"):
            await client.check()


async def test_missing_credentials_are_explained(registry, app_image):
    async with RegistryClient(registry.url) as client:
        with pytest.raises(RegistryAuthError, match="needs a username and password"):
            await client.list_tags(app_image)


async def test_unknown_image_is_not_found(registry, app_image):
    async with RegistryClient(registry.url, registry.username, registry.password) as client:
        with pytest.raises(RepositoryNotFound, match="no image 'shoal/missing'"):
            await client.list_tags("shoal/missing")


async def test_unreachable_registry_is_explained():
    async with RegistryClient(f"http://127.0.0.1:{free_port()}", timeout_s=2) as client:
        with pytest.raises(RegistryUnreachable, match="Cannot reach"):
            await client.list_tags("shoal/app")


async def test_silent_registry_times_out_quickly(silent_server):
    started = time.monotonic()
    async with RegistryClient(f"http://{silent_server}", timeout_s=0.5) as client:
        with pytest.raises(RegistryUnreachable, match=r"did not answer within 0\.5 s"):
            await client.check()
    assert time.monotonic() - started < 3


async def test_bearer_flow_fetches_a_scoped_token_and_pages(bearer_registry, app_image, app_tags):
    front = bearer_registry
    front.token_requests.clear()
    async with RegistryClient(front.url, front.username, front.password) as client:
        tags = await client.list_tags(app_image, page_size=3)
        assert "as 'robot'" in await client.check()
    assert sorted(tags) == sorted(app_tags)
    scoped = [r for r in front.token_requests if r.get("scope")]
    # One token for the repository, reused for all three pages.
    assert scoped == [{"service": "shoal-test-registry", "scope": "repository:shoal/app:pull"}]


async def test_bearer_flow_with_wrong_credentials_is_explained(bearer_registry, app_image):
    async with RegistryClient(bearer_registry.url, "robot", "nope") as client:
        with pytest.raises(RegistryAuthError, match="token service refused the credentials"):
            await client.list_tags(app_image)


async def test_bearer_unknown_image_is_not_found(bearer_registry, app_image):
    front = bearer_registry
    async with RegistryClient(front.url, front.username, front.password) as client:
        with pytest.raises(RepositoryNotFound):
            await client.list_tags("shoal/nothing-here")
