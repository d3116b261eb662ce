"""RegistryClient edge cases real registries produce, through httpx's transport seam.

The happy paths run against the real docker-registry in tests/integration/catalog."""

import httpx
import pytest

from core.registry_client import (
    RegistryAuthError,
    RegistryClient,
    RegistryError,
    RepositoryNotFound,
)

BEARER = 'Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"'


def client(handler) -> RegistryClient:
    return RegistryClient("https://reg.example", "u", "p", transport=httpx.MockTransport(handler))


async def test_expired_token_is_replaced_once_mid_pagination():
    issued = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example":
            issued.append(request.url.params["scope"])
            return httpx.Response(200, json={"access_token": f"t{len(issued)}"})
        auth = request.headers.get("authorization", "")
        last = request.url.params.get("last")
        # Token t1 works for the first page only, as if it expired right after.
        if auth == "Bearer t1" and last is None:
            next_link = '<https://reg.example/v2/a/b/tags/list?last=x&n=1>; rel="next"'
            return httpx.Response(200, json={"tags": ["1"]}, headers={"Link": next_link})
        if auth == "Bearer t2" and last == "x":
            return httpx.Response(200, json={"tags": ["2", None, 3]})
        return httpx.Response(401, headers={"WWW-Authenticate": BEARER})

    async with client(handler) as c:
        assert await c.list_tags("a/b") == ["1", "2"]
    assert issued == ["repository:a/b:pull", "repository:a/b:pull"]


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (403, RegistryAuthError, "may not read 'a/b'"),
        (404, RepositoryNotFound, "no image 'a/b'"),
        (500, RegistryError, "HTTP 500"),
    ],
)
async def test_status_codes_are_explained(status, error, message):
    async with client(lambda request: httpx.Response(status)) as c:
        with pytest.raises(error, match=message):
            await c.list_tags("a/b")


async def test_non_json_answer_is_an_error_not_a_crash():
    async with client(lambda request: httpx.Response(200, text="<html>")) as c:
        with pytest.raises(RegistryError, match="not a tag list"):
            await c.list_tags("a/b")


async def test_challenge_without_realm_is_explained():
    answer = httpx.Response(401, headers={"WWW-Authenticate": 'Bearer service="x"'})
    async with client(lambda request: answer) as c:
        with pytest.raises(RegistryAuthError, match="without a usable realm"):
            await c.list_tags("a/b")


async def test_token_service_without_token_is_explained():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example":
            return httpx.Response(200, json={"nothing": 1})
        return httpx.Response(401, headers={"WWW-Authenticate": BEARER})

    async with client(handler) as c:
        with pytest.raises(RegistryError, match="sent no token"):
            await c.list_tags("a/b")


async def test_root_404_means_not_a_registry():
    async with client(lambda request: httpx.Response(404)) as c:
        with pytest.raises(RegistryError, match="does not serve the registry v2 API"):
            await c.check()
