"""Fixtures for ingress tests: rows for the route table, a busybox httpd, a syncer on the test
Caddy, and an HTTP client that talks to Caddy with a chosen Host header."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import docker
import httpx
import pytest

from core.ingress import options_from
from core.ingress.caddy import CaddyAdmin
from core.ingress.syncer import IngressSyncer
from core.tables import Deployment, Environment, Node
from shoaltest.db import insert_row

LABEL = {"shoal-test": "ingress"}
BASE_DOMAIN = "shoal.test"


async def add_environment(name: str = "qa", tls_mode: str = "off") -> int:
    return await insert_row(Environment(name=name, base_domain=BASE_DOMAIN, tls_mode=tls_mode))


async def add_node(environment: int, status: str = "online", address: str = "127.0.0.1") -> int:
    return await insert_row(
        Node(
            environment=environment,
            name=f"node-{time.monotonic_ns()}",
            host="node.invalid",
            publish_address=address,
            status=status,
        )
    )


async def add_deployment(
    environment: int, node: int | None, name: str, ports: dict[str, int], status: str = "running"
) -> int:
    return await insert_row(
        Deployment(environment=environment, node=node, name=name, status=status, ports=ports)
    )


async def through_caddy(port: int, host: str, path: str = "/") -> httpx.Response:
    """One request on a fresh connection (a reload closes idle keep-alive connections)."""
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host})


async def wait_for(
    check: Callable[[], Awaitable[bool]], seconds: float = 10.0, step: float = 0.05
) -> float:
    """Poll `check` until true; returns the seconds it took, fails the test after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if await check():
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        await asyncio.sleep(step)
    pytest.fail(f"condition not met within {seconds} s")


class Kit:
    """The helpers above, handed to tests as the `kit` fixture (test modules cannot import a
    conftest by name under --import-mode=importlib)."""

    add_environment = staticmethod(add_environment)
    add_node = staticmethod(add_node)
    add_deployment = staticmethod(add_deployment)
    through_caddy = staticmethod(through_caddy)
    wait_for = staticmethod(wait_for)

    def __init__(self, ingress_port: int) -> None:
        self.port = ingress_port

    async def get(self, host: str, path: str = "/") -> httpx.Response:
        return await through_caddy(self.port, host, path)

    async def status_is(self, host: str, expected: int) -> bool:
        return (await self.get(host)).status_code == expected


@pytest.fixture
def kit(caddy) -> Kit:
    return Kit(caddy.ingress_port)


@pytest.fixture
async def make_syncer(caddy) -> AsyncIterator[Callable[..., IngressSyncer]]:
    made: list[IngressSyncer] = []

    def make(admin_url: str | None = None, **kwargs) -> IngressSyncer:
        kwargs.setdefault("check_interval", 0.5)
        syncer = IngressSyncer(
            CaddyAdmin(admin_url or caddy.admin_url, timeout=5),
            options_from(caddy.settings()),
            **kwargs,
        )
        made.append(syncer)
        return syncer

    yield make
    for syncer in made:
        await syncer.stop()


@pytest.fixture(scope="session")
def httpd(docker_client: docker.DockerClient, busybox_image: str) -> Iterator[int]:
    """A busybox httpd published on 127.0.0.1 (one for the session); yields its host port."""
    container = docker_client.containers.run(
        busybox_image,
        ["httpd", "-f", "-p", "80", "-h", "/www"],
        detach=True,
        labels=LABEL,
        ports={"80/tcp": ("127.0.0.1", None)},
        init=True,
    )
    try:
        container.reload()
        port = int(container.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"])
        yield port
    finally:
        container.remove(force=True)
