"""Fixtures for the shipped plugins' container tests: a fresh network per test and a PostgreSQL
service; the images come from tests/shoaltest/plugins.py (shared with the agent pipeline test)."""

# The shared fixtures are imported by name, not registered with `pytest_plugins`: pytest refuses
# that in a conftest it first meets while collecting (as under `pytest .` or an IDE's discovery),
# and this directory also runs without tests/conftest.py. Parameters shadow them on purpose.
# ruff: noqa: F811
from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
sys.path.insert(0, str(Path(__file__).parent))

from plugin_containers import PG_PASSWORD, SESSION_LABEL, remove_session_leftovers, start_service

from shoaltest.docker import busybox_image, docker_client  # noqa: F401
from shoaltest.plugins import sdk_base_images, shipped_plugins  # noqa: F401
from shoaltest.registry import registry  # noqa: F401


@pytest.fixture(scope="session", autouse=True)
def _cleanup(docker_client: docker.DockerClient) -> Iterator[None]:
    yield
    remove_session_leftovers(docker_client)


def _create_network(client: docker.DockerClient) -> Iterator[str]:
    net = client.networks.create(f"shoal-sdk-test-{uuid.uuid4().hex[:10]}", labels=SESSION_LABEL)
    yield net.name
    net.reload()
    for container in net.containers:
        container.remove(force=True)
    net.remove()


@pytest.fixture
def network(docker_client: docker.DockerClient) -> Iterator[str]:
    """A user-defined bridge network, like a deployment's; removed with its containers."""
    yield from _create_network(docker_client)


@pytest.fixture(scope="module")
def pg_network(docker_client: docker.DockerClient) -> Iterator[str]:
    """A network shared by one module's tests, holding its PostgreSQL service."""
    yield from _create_network(docker_client)


@pytest.fixture(scope="module")
def postgres(
    docker_client: docker.DockerClient, sdk_base_images: dict[str, str], pg_network: str
) -> str:
    """A PostgreSQL service reachable as ``db`` on ``pg_network``, shared by one module's tests
    (each works in its own database); returns the container's name for exec."""
    container = start_service(
        docker_client, sdk_base_images["postgres"], pg_network, "db",
        command=["-c", "fsync=off"], environment={"POSTGRES_PASSWORD": PG_PASSWORD},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        probe = container.exec_run(["pg_isready", "-h", "/tmp", "-U", "postgres"], user="postgres")
        if probe.exit_code == 0:
            return container.name
        if time.monotonic() > deadline:
            pytest.fail(f"PostgreSQL did not start: {container.logs().decode()[-2000:]}")
        time.sleep(0.2)
