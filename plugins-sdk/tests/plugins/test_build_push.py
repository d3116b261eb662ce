"""The developer loop's image half: build an example offline, run it, push it to a registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from plugin_containers import run_plugin

from shoal_plugin import invocation_document

pytestmark = pytest.mark.docker

SDK = Path(__file__).parents[2]
DOCKER_CLI = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal_plugin", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SHOAL_DOCKER": DOCKER_CLI, **(env or {})},
    )


@pytest.fixture(scope="module")
def hello_image(sdk_base_images: dict[str, str]) -> str:
    done = cli("build", str(SDK / "examples/hello"), "--tag", "shoal-test/plugin-hello:dev",
               "--base", sdk_base_images["python"])  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "shoal-test/plugin-hello:dev"
    return "shoal-test/plugin-hello:dev"


def test_built_image_runs_and_local_run_uses_it(docker_client, hello_image):
    step = run_plugin(docker_client, hello_image, invocation_document("apply", {"name": "bo"}))
    assert (step.exit_code, step.document["outputs"]["greeting"]) == (0, "hello bo")
    done = cli("run", "-", "--image", hello_image, "--param", "name=cy", "--param", "style=loud")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outputs"]["greeting"] == "HELLO CY!"
    failed = cli("run", "-", "--image", hello_image, "--param", "name=cy", "--param", "fail=true")
    assert failed.returncode == 1
    assert "step failed: exit 1: asked to fail for cy" in failed.stderr


def test_push_to_a_registry(registry, shipped_plugins, tmp_path):
    # A private docker config, so the test's login never touches the machine's; the small
    # busybox-based shell plugin keeps the upload short.
    env = {"DOCKER_CONFIG": str(tmp_path)}
    image = shipped_plugins["shell"]
    refused = cli("push", image, "--registry", registry.host, "--name", "plugins/shell:1", env=env)
    assert refused.returncode == 1 and "push of" in refused.stderr
    login = [DOCKER_CLI, "login", registry.host, "-u", registry.username, "--password-stdin"]
    subprocess.run(
        login, input=registry.password, text=True, check=True, capture_output=True,
        env={**os.environ, **env},
    )  # fmt: skip
    done = cli("push", image, "--registry", registry.host, "--name", "plugins/shell:1", env=env)
    try:
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"{registry.host}/plugins/shell:1"
        tags = httpx.get(
            f"{registry.url}/v2/plugins/shell/tags/list",
            auth=(registry.username, registry.password),
        )
        assert tags.json()["tags"] == ["1"]
    finally:
        subprocess.run([DOCKER_CLI, "rmi", f"{registry.host}/plugins/shell:1"], capture_output=True)


def test_local_image_run_is_stopped_and_removed_at_its_timeout(docker_client, shipped_plugins):
    done = cli(
        "run", "-", "--image", shipped_plugins["shell"], "--timeout", "2",
        "--param", "script=sleep 60",
    )  # fmt: skip
    assert done.returncode == 1 and "step failed: timeout" in done.stderr
    leftovers = docker_client.containers.list(
        all=True, filters={"label": "org.shoal.plugin-run=local"}
    )
    assert [c.name for c in leftovers if c.name.startswith("shoal-plugin-run-")] == []
