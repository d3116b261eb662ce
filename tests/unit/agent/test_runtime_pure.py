"""Pure parts of the Docker adapter: subnet picking, image references, stderr line capping."""

import ipaddress

import pytest

from agent.runtime.attach import STDERR_FORWARD_LIMIT, StderrLines
from agent.runtime.images import registry_host, split_reference
from agent.runtime.networks import PoolExhausted, pick_subnet


def test_pick_subnet_skips_every_overlap():
    pool = ipaddress.ip_network("10.1.0.0/24")
    used = [ipaddress.ip_network("10.1.0.0/26"), ipaddress.ip_network("10.0.0.0/8")]
    with pytest.raises(PoolExhausted):
        pick_subnet(pool, 26, used)
    used = [ipaddress.ip_network("10.1.0.0/26"), ipaddress.ip_network("10.1.0.100/32")]
    assert str(pick_subnet(pool, 26, used)) == "10.1.0.128/26"


@pytest.mark.parametrize(
    "image, host, repo, tag",
    [
        ("busybox", None, "busybox", "latest"),
        ("shoal-test/busybox:latest", None, "shoal-test/busybox", "latest"),
        ("127.0.0.1:5000/app/web:v1", "127.0.0.1:5000", "127.0.0.1:5000/app/web", "v1"),
        (
            "registry.example/app:features-login",
            "registry.example",
            "registry.example/app",
            "features-login",
        ),
        ("localhost/app", "localhost", "localhost/app", "latest"),
        ("r.example/app@sha256:abc", "r.example", "r.example/app", "sha256:abc"),
    ],
)
def test_image_references(image, host, repo, tag):
    assert registry_host(image) == host
    assert split_reference(image) == (repo, tag)


def test_stderr_lines_are_split_and_capped():
    lines: list[str] = []
    stderr = StderrLines(lines.append)
    stderr.feed(b"one\ntw")
    stderr.feed(b"o\r\nthree")
    stderr.finish()
    assert lines == ["one", "two", "three"]
    flood = StderrLines(lines.append)
    for _ in range(3000):
        flood.feed(b"x" * 1000 + b"\n")
    assert flood.forwarded > STDERR_FORWARD_LIMIT
    assert lines[-1].startswith("[shoal: log output beyond")
    assert len(lines) < 1100
