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


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("http://[::1]:5000", "http://[::1]:5000"),
        ("HTTPS://Registry.Example.com", "https://registry.example.com"),
        ("https://10.0.0.7:443/team-x", "https://10.0.0.7:443/team-x"),
    ],
)
def test_registry_url_hosts_and_ports(typed, stored):
    assert images.check_registry_url(typed) == stored


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("https://reg\n.example", "spaces or control characters"),
        ("https://reg.example\r\n/x", "spaces or control characters"),
        ("reg.exa\tmple:5000", "spaces or control characters"),
        ("https://..", "not a valid host name"),
        ("https://a..b", "not a valid host name"),
        ("..:5000", "not a valid host name"),
        ("https://.example", "not a valid host name"),
        ("https://-bad.example", "not a valid host name"),
        ("https://" + "a" * 64 + ".example", "not a valid host name"),
        ("https://réseau.example", "not a valid host name"),
        ("https://[::1", "not a valid host name"),
        ("https://host:0", "port"),
        ("https://host:99999", "port"),
        ("https://host:", "port"),
        ("https://host/../x", "path"),
        ("https://host/a/./b", "path"),
        ("https://host//a", "path"),
        ("https://host/a%2f..", "path"),
        ("https://evil\\.example", "not a valid host name"),
    ],
)
def test_registry_urls_are_strict(bad, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        images.check_registry_url(bad)
    assert caught.value.field == "url"


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
