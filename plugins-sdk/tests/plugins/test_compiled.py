"""A Python plugin compiled by Nuitka into a FROM scratch image: no base image, no Python.

The compile takes a few minutes cold (seconds with a warm ccache), so the image is rebuilt only
when its sources change (the source digest label says what it was built from)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest
from plugin_containers import run_plugin, start_service

from shoal_plugin import invocation_document
from shoal_plugin._image import SOURCE_LABEL, source_digest

pytestmark = pytest.mark.docker

SDK = Path(__file__).parents[2]
HTTP_WAIT = SDK / "plugins/http-wait"
IMAGE = "shoal-test/plugin-http-wait-compiled:dev"
DOCKER_CLI = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"


@pytest.fixture(scope="module")
def compiled_image(docker_client: docker.DockerClient) -> str:
    wanted = source_digest(HTTP_WAIT, "compiled:None")
    try:
        if docker_client.images.get(IMAGE).labels.get(SOURCE_LABEL) == wanted:
            return IMAGE
    except docker.errors.ImageNotFound:
        pass
    done = subprocess.run(
        [sys.executable, "-m", "shoal_plugin", "build", str(HTTP_WAIT), "--tag", IMAGE, "--nuitka"],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "SHOAL_DOCKER": DOCKER_CLI},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert docker_client.images.get(IMAGE).labels[SOURCE_LABEL] == wanted
    return IMAGE


def test_compiled_image_is_small_and_has_no_python(docker_client, compiled_image):
    image = docker_client.images.get(compiled_image)
    assert image.attrs["Config"]["Entrypoint"] == ["/plugin/plugin"]
    assert image.attrs["Size"] < 60 * 2**20
    layers = [entry for entry in image.history() if entry["Size"] > 0]
    assert len(layers) == 1  # FROM scratch + one COPY: no base image underneath
    assert "org.shoal.plugin.schema" in image.labels


def test_compiled_plugin_runs_like_the_python_one(
    docker_client, compiled_image, busybox_image, network
):
    start_service(
        docker_client, busybox_image, network, "web",
        command=["httpd", "-f", "-p", "8080", "-h", "/www"],
    )  # fmt: skip
    document = invocation_document("apply", {"url": "http://web:8080/", "interval_s": 0.2})
    step = run_plugin(docker_client, compiled_image, document, network=network)
    assert step.exit_code == 0, step.stderr
    assert step.document["outputs"]["status"] == 200

    bad = run_plugin(docker_client, compiled_image, invocation_document("apply", {"method": "X"}))
    assert bad.exit_code == 2
    assert set(bad.document["error"]["fields"]) == {"params.method"}


def test_compiled_plugin_stopped_by_sigterm(docker_client, compiled_image):
    document = invocation_document("apply", {"url": "http://127.0.0.1:9/", "timeout_s": 60})
    step = run_plugin(docker_client, compiled_image, document, stop_after_s=1.5)
    assert step.exit_code == 143
    assert step.document["error"]["type"] == "terminated"


def test_refused_combinations(tmp_path):
    from shoal_plugin._image import build_image
    from shoal_plugin._target import TargetError

    with pytest.raises(TargetError, match="leave out --base"):
        build_image(HTTP_WAIT, "x:y", "some/base", compiled=True)
    with pytest.raises(TargetError, match=r"compiles plugin\.py"):
        build_image(SDK / "plugins/shell", "x:y", compiled=True)
