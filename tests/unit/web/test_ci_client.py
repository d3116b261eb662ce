"""The CI client's own rules, without a server: tag syntax, and what each refusal says (a fake
transport stands in for Shoal; tests/integration/web/test_ci_cli.py runs the real thing)."""

from __future__ import annotations

import httpx
import pytest

from web.ci_client import ClientError, ShoalClient, parse_tags


def test_tags_are_service_equals_tag():
    assert parse_tags(["web=pr-42", "api=sha-1a2b3c4"]) == {"web": "pr-42", "api": "sha-1a2b3c4"}
    assert parse_tags([]) == {}
    for bad in ("web", "web=", "=pr-1", "web=feature/login", "web=-x", "web=" + "a" * 129):
        with pytest.raises(ClientError, match="bad --tag"):
            parse_tags([bad])
    with pytest.raises(ClientError, match="twice"):
        parse_tags(["web=a", "web=b"])


def fake(handler) -> ShoalClient:
    return ShoalClient("http://shoal.test", "t0ken", transport=httpx.MockTransport(handler))


def test_refusals_say_what_to_fix():
    with pytest.raises(ClientError, match="SHOAL_URL is not set"):
        ShoalClient("", "t")
    with pytest.raises(ClientError, match="must start with http"):
        ShoalClient("shoal.test", "t")
    with pytest.raises(ClientError, match="SHOAL_TOKEN is not set"):
        ShoalClient("http://shoal.test", "")

    def refuse(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer t0ken"
        return httpx.Response(401, json={"status_code": 401, "detail": "Invalid token."})

    with pytest.raises(ClientError, match=r"refused SHOAL_TOKEN \(401\)") as refused:
        fake(refuse).project_id("shop")
    assert refused.value.code == 2

    def projects(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 1, "name": "shop"}, {"id": 2, "name": "blog"}])

    assert fake(projects).project_id("shop") == 1
    with pytest.raises(ClientError, match=r"unknown project 'shoop' .*: blog, shop\)"):
        fake(projects).project_id("shoop")

    def conflict(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"status_code": 422, "detail": "Pick a tag for 'web'."})

    with pytest.raises(ClientError, match=r"Shoal answered 422: Pick a tag for 'web'\."):
        fake(conflict).create(1, 1, "pr-1", {})
