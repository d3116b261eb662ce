"""Fixtures for the shipped plugins' container tests: base images (built once, then cached),
the plugin images (rebuilt each session by the SDK's own `build`, fast with Docker's layer
cache), a fresh network per test, and a PostgreSQL service."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(Path(__file__).parent))

from plugin_containers import PG_PASSWORD, SESSION_LABEL, remove_session_leftovers, start_service  # noqa: E402

from shoaltest.docker import *  # noqa: E402, F403  (docker_client, busybox_image)
from shoaltest.docker import DOCKER_CLI  # noqa: E402
from shoaltest.registry import registry  # noqa: E402, F401

SDK = REPO / "plugins-sdk"
PYTHON_BASE = "shoal/debian-python:bookworm"
POSTGRES_IMAGE = "shoal/debian-postgresql:bookworm"
PLUGIN_BASES = {
    "http-wait": PYTHON_BASE,
    "postgres-database": POSTGRES_IMAGE,
    "sql-script": POSTGRES_IMAGE,
    "shell": "busybox",  # the busybox_image fixture's name, filled in below
}


def build_base(script: str, image: str) -> None:
    done = subprocess.run(
        ["bash", str(REPO / "build/base-images" / script), image],
        env={**os.environ, "DOCKER": DOCKER_CLI},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"{script} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def base_images(docker_client: docker.DockerClient, busybox_image: str) -> dict[str, str]:
    build_base("debian-python.sh", PYTHON_BASE)
    build_base("debian-postgresql.sh", POSTGRES_IMAGE)
    return {"python": PYTHON_BASE, "postgres": POSTGRES_IMAGE, "busybox": busybox_image}


@pytest.fixture(scope="session")
def plugin_images(base_images: dict[str, str]) -> dict[str, str]:
    images = {}
    for name, base in PLUGIN_BASES.items():
        tag = f"shoal-test/plugin-{name}:dev"
        done = subprocess.run(
            [sys.executable, "-m", "shoal_plugin", "build", str(SDK / "plugins" / name),
             "--tag", tag, "--base", base_images["busybox"] if base == "busybox" else base],
            env={**os.environ, "SHOAL_DOCKER": DOCKER_CLI},
            capture_output=True,
            text=True,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"building {name} failed:\n{done.stderr}")
        images[name] = tag
    return images


@pytest.fixture(scope="session", autouse=True)
def _cleanup(docker_client: docker.DockerClient) -> Iterator[None]:
    yield
    remove_session_leftovers(docker_client)


@pytest.fixture
def network(docker_client: docker.DockerClient) -> Iterator[str]:
    """A user-defined bridge network, like a deployment's; removed with its containers."""
    net = docker_client.networks.create(
        f"shoal-sdk-test-{uuid.uuid4().hex[:10]}", labels=SESSION_LABEL
    )
    yield net.name
    net.reload()
    for container in net.containers:
        container.remove(force=True)
    net.remove()


@pytest.fixture
def postgres(docker_client: docker.DockerClient, base_images: dict[str, str], network: str) -> str:
    """A PostgreSQL service reachable as ``db`` on the test network; returns exec'able name."""
    container = start_service(
        docker_client, base_images["postgres"], network, "db",
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
