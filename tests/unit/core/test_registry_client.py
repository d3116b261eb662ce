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


def recording(answer_for):
    """A transport that logs (url, authorization) of every request, then answers."""
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("authorization", "")))
        return answer_for(request)

    return seen, httpx.MockTransport(handler)


@pytest.mark.parametrize(
    "next_url",
    [
        "https://elsewhere.example/v2/a/b/tags/list?last=x",  # another host
        "http://reg.example/v2/a/b/tags/list?last=x",  # downgrade to plain HTTP
        "https://reg.example:8443/v2/a/b/tags/list?last=x",  # another port
        "//elsewhere.example/v2/a/b/tags/list?last=x",  # scheme-relative
    ],
)
async def test_pages_are_followed_on_the_registrys_own_origin_only(next_url):
    def answer(request: httpx.Request) -> httpx.Response:
        if "authorization" not in request.headers:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        link = f'<{next_url}>; rel="next"'
        return httpx.Response(200, json={"tags": ["1"]}, headers={"Link": link})

    seen, transport = recording(answer)
    async with RegistryClient("https://reg.example", "u", "p", transport=transport) as c:
        with pytest.raises(RegistryError, match="another origin"):
            await c.list_tags("a/b")
    assert all(url.startswith("https://reg.example/") for url, _ in seen)


async def test_relative_next_links_are_followed():
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("last") == "1":
            return httpx.Response(200, json={"tags": ["2"]})
        link = '</v2/a/b/tags/list?last=1&n=1>; rel="next"'
        return httpx.Response(200, json={"tags": ["1"]}, headers={"Link": link})

    _, transport = recording(answer)
    async with RegistryClient("https://reg.example", transport=transport) as c:
        assert await c.list_tags("a/b") == ["1", "2"]


def bearer_answers(realm: str):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"token": "t"})
        if request.headers.get("authorization") == "Bearer t":
            return httpx.Response(200, json={"tags": ["1"]})
        challenge = f'Bearer realm="{realm}",service="reg"'
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})

    return answer


@pytest.mark.parametrize(
    ("registry", "realm"),
    [
        ("https://reg.example", "https://auth.example/token"),  # token server on another host
        ("https://reg.example", "https://reg.example/token"),
        ("http://reg.example:5000", "http://reg.example:5001/token"),  # http, same host
    ],
)
async def test_credentials_go_to_a_trusted_realm(registry, realm):
    seen, transport = recording(bearer_answers(realm))
    async with RegistryClient(registry, "u", "p", transport=transport) as c:
        assert await c.list_tags("a/b") == ["1"]
    basic = httpx.BasicAuth("u", "p")._auth_header
    assert (realm + "?service=reg&scope=repository%3Aa%2Fb%3Apull", basic) in seen


@pytest.mark.parametrize(
    ("registry", "realm"),
    [
        ("https://reg.example", "http://auth.example/token"),
        ("https://reg.example", "http://reg.example/token"),  # https registry, http realm
        ("http://reg.example:5000", "http://auth.example/token"),  # http, another host
    ],
)
@pytest.mark.parametrize("username", ["u", ""])
async def test_plain_http_realms_elsewhere_are_refused(registry, realm, username):
    seen, transport = recording(bearer_answers(realm))
    async with RegistryClient(registry, username, "p", transport=transport) as c:
        with pytest.raises(RegistryAuthError, match="https"):
            await c.list_tags("a/b")
    assert not any(url.startswith(realm) for url, _ in seen)
    assert all(auth == "" for _, auth in seen)


async def test_basic_credentials_are_never_sent_before_the_registry_asks():
    seen, transport = recording(lambda request: httpx.Response(200, json={"tags": []}))
    async with RegistryClient("https://reg.example", "u", "p", transport=transport) as c:
        await c.list_tags("a/b")
    assert seen == [("https://reg.example/v2/a/b/tags/list?n=1000", "")]
