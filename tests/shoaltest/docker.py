"""Fixtures: a reachable dockerd (started for the session if none answers) and offline images."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

REPO = Path(__file__).resolve().parents[2]
BUSYBOX_IMAGE = "shoal-test/busybox:latest"
DOCKER_CLI = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"


def _ping() -> bool:
    try:
        docker.from_env(timeout=5).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client of a running dockerd; one we start ourselves is stopped (by pid) at the end."""
    started: subprocess.Popen | None = None
    if not _ping():
        if not shutil.which("dockerd"):
            pytest.fail("dockerd is not installed: run `bash .ci/run` or `make deps` first")
        log = open("/tmp/shoal-test-dockerd.log", "ab")
        started = subprocess.Popen(["dockerd"], stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while not _ping():
            if time.monotonic() > deadline or started.poll() is not None:
                pytest.fail("dockerd did not come up; see /tmp/shoal-test-dockerd.log")
            time.sleep(0.2)
    client = docker.from_env(timeout=120)
    yield client
    client.close()
    if started is not None:
        started.send_signal(signal.SIGTERM)
        started.wait(timeout=30)


@pytest.fixture(scope="session")
def busybox_image(docker_client: docker.DockerClient) -> str:
    """A busybox image built offline (sh, httpd, nc, wget, …); built once, then reused."""
    subprocess.run(
        ["bash", str(REPO / "build/base-images/busybox.sh"), BUSYBOX_IMAGE],
        check=True,
        env={**os.environ, "DOCKER": DOCKER_CLI},
        capture_output=True,
    )
    return BUSYBOX_IMAGE
