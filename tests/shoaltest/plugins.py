"""Fixtures: the plugin SDK's offline base images and the shipped plugins' images.

sdk_base_images   {"python", "postgres", "busybox"} → local image names; built once by
                  build/base-images/*.sh (each skips when its image exists)
shipped_plugins   {"http-wait", "postgres-database", "sql-script", "shell"} → images built
                  this session by `python -m shoal_plugin build` (fast: Docker's layer cache)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from shoaltest.docker import DOCKER_CLI

REPO = Path(__file__).resolve().parents[2]
PYTHON_BASE = "shoal/debian-python:bookworm"
POSTGRES_IMAGE = "shoal/debian-postgresql:bookworm"
SHIPPED = ["http-wait", "postgres-database", "sql-script", "shell", "postgres-restore"]


def _build_base(script: str, image: str) -> None:
    done = subprocess.run(
        ["bash", str(REPO / "build/base-images" / script), image],
        env={**os.environ, "DOCKER": DOCKER_CLI},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"{script} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def sdk_base_images(docker_client: docker.DockerClient, busybox_image: str) -> dict[str, str]:
    _build_base("debian-python.sh", PYTHON_BASE)
    _build_base("debian-postgresql.sh", POSTGRES_IMAGE)
    return {"python": PYTHON_BASE, "postgres": POSTGRES_IMAGE, "busybox": busybox_image}


@pytest.fixture(scope="session")
def shipped_plugins(sdk_base_images: dict[str, str]) -> dict[str, str]:
    """Built by the operators' script, so that script is tested too."""
    done = subprocess.run(
        ["bash", str(REPO / "plugins-sdk/plugins/build.sh"), "--prefix", "shoal-test/plugin-",
         "--tag", "dev"],
        env={**os.environ, "DOCKER": DOCKER_CLI, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"plugins-sdk/plugins/build.sh failed:\n{done.stderr[-3000:]}")
    images = done.stdout.split()
    assert images == [f"shoal-test/plugin-{name}:dev" for name in SHIPPED], images
    return dict(zip(SHIPPED, images, strict=True))
