"""The registry fixture itself: auth is enforced and pushed tags are listed."""

import httpx
import pytest

pytestmark = pytest.mark.docker


def test_push_then_list_with_basic_auth(registry, busybox_image):
    registry.push(busybox_image, "fixture/check", "one")
    registry.push(busybox_image, "fixture/check", "two")
    url = f"{registry.url}/v2/fixture/check/tags/list"
    assert httpx.get(url).status_code == 401
    answer = httpx.get(url, auth=(registry.username, registry.password))
    assert answer.status_code == 200
    assert sorted(answer.json()["tags"]) == ["one", "two"]
