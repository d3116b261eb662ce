"""Registry URLs, image names and pull references."""

import pytest

from core.domain import images
from core.errors import InvalidInput


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ghcr.io", "https://ghcr.io"),
        ("https://registry.example.com:5000/", "https://registry.example.com:5000"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("https://harbor.example/v2-proxy", "https://harbor.example/v2-proxy"),
        ("docker.io", images.DOCKER_HUB_URL),
        ("https://index.docker.io", images.DOCKER_HUB_URL),
    ],
)
def test_registry_urls(typed, stored):
    assert images.check_registry_url(typed) == stored


@pytest.mark.parametrize(
    "bad", ["", "ftp://x", "https://u:p@x", "https://x?y=1", "https://x#f", "https://a b"]
)
def test_bad_registry_urls(bad):
    with pytest.raises(InvalidInput):
        images.check_registry_url(bad)


@pytest.mark.parametrize("good", ["nginx", "team/app", "a.b/c-d/e__f", "x1/y2/z3"])
def test_image_names(good):
    assert images.check_image(good) == good


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("nginx:1.27", "without a tag"),
        ("app@sha256:abc", "without a tag"),
        ("Team/App", "lowercase"),
        ("team//app", "lowercase"),
        ("/app", "lowercase"),
        ("", "lowercase"),
    ],
)
def test_bad_image_names(bad, message):
    with pytest.raises(InvalidInput, match=message):
        images.check_image(bad)


def test_docker_hub_official_images_live_under_library():
    assert images.repository(images.DOCKER_HUB_URL, "nginx") == "library/nginx"
    assert images.repository(images.DOCKER_HUB_URL, "team/app") == "team/app"
    assert images.repository("https://ghcr.io", "nginx") == "nginx"


def test_pull_references():
    assert images.pull_reference(images.DOCKER_HUB_URL, "nginx", "1.27") == "nginx:1.27"
    assert (
        images.pull_reference("http://127.0.0.1:5000", "team/app", "v1")
        == "127.0.0.1:5000/team/app:v1"
    )
    assert (
        images.pull_reference("https://harbor.example/proxy/", "app", "v1")
        == "harbor.example/proxy/app:v1"
    )
