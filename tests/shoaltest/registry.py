"""Fixture `registry`: a real Docker registry (Debian's docker-registry) with htpasswd auth.

It listens on a free 127.0.0.1 port with its storage in a temporary directory and is stopped
(by pid) at the end of the session. `running_registry(...)` starts one of a test's own, with
its notification endpoint pointed wherever the test says (registry pushes → previews).
`push` goes through the real dockerd; dockerd talks to 127.0.0.1 registries over plain HTTP
without any insecure-registry setting.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from shoaltest.ports import free_port

REGISTRY_BINARY = "docker-registry"
CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
  secret: {secret}
auth:
  htpasswd:
    realm: shoal-test
    path: {htpasswd}
"""


class PushError(Exception):
    """dockerd reported an error inside the push stream (it never raises for those)."""


@dataclass
class RegistryServer:
    host: str
    username: str
    password: str
    docker_client: docker.DockerClient
    pushed: list[str] = field(default_factory=list)
    log_path: Path | None = None  # its log, for a test's failure message

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def push(self, local_image: str, repo: str, tag: str) -> str:
        """Tag `local_image` as host/repo:tag, push it, drop the local tag; return the ref."""
        auth = {"username": self.username, "password": self.password}
        self.docker_client.login(registry=self.host, **auth)
        remote = f"{self.host}/{repo}"
        self.docker_client.images.get(local_image).tag(remote, tag)
        try:
            for chunk in self.docker_client.images.push(
                remote, tag, stream=True, decode=True, auth_config=auth
            ):
                if "error" in chunk or "errorDetail" in chunk:
                    raise PushError(f"push {remote}:{tag}: {chunk}")
        finally:
            self.docker_client.images.remove(f"{remote}:{tag}", noprune=True)
        self.pushed.append(f"{repo}:{tag}")
        return f"{remote}:{tag}"


def _wait_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"docker-registry exited at start:\n{log_path.read_text()[-2000:]}")
        try:
            # An htpasswd registry answers 401 on /v2/ once it is serving.
            if httpx.get(f"{url}/v2/", timeout=1).status_code == 401:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"docker-registry did not answer on {url}:\n{log_path.read_text()[-2000:]}")


NOTIFY = """\
notifications:
  endpoints:
    - name: shoal
      url: {url}
      headers:
        Authorization: [Bearer {token}]
      timeout: 5s
      threshold: 3
      backoff: 1s
"""


@contextlib.contextmanager
def running_registry(
    docker_client: docker.DockerClient, notify_url: str = "", notify_token: str = ""
) -> Iterator[RegistryServer]:
    """A registry of the caller's own; with `notify_url`, its notification endpoint posts
    every event there with `Authorization: Bearer <notify_token>`."""
    if not shutil.which(REGISTRY_BINARY) or not shutil.which("htpasswd"):
        pytest.fail("apt-get install docker-registry apache2-utils (registry and htpasswd)")
    username, password = "shoal", secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="shoal-test-registry-") as tmp:
        root = Path(tmp)
        htpasswd = root / "htpasswd"
        # The registry accepts bcrypt entries only.
        subprocess.run(
            ["htpasswd", "-Bbc", str(htpasswd), username, password],
            check=True,
            capture_output=True,
        )
        port = free_port()
        config = root / "config.yml"
        text = CONFIG.format(
            root=root / "data", port=port, secret=secrets.token_hex(16), htpasswd=htpasswd
        )
        if notify_url:
            text += NOTIFY.format(url=notify_url, token=notify_token)
        config.write_text(text)
        log_path = root / "registry.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [REGISTRY_BINARY, "serve", str(config)], stdout=log, stderr=log
            )
        server = RegistryServer(f"127.0.0.1:{port}", username, password, docker_client)
        server.log_path = log_path
        try:
            _wait_ready(server.url, process, log_path)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def registry(docker_client: docker.DockerClient) -> Iterator[RegistryServer]:
    """A running registry with one htpasswd user; `.push(image, repo, tag)` fills it."""
    with running_registry(docker_client) as server:
        yield server


async def serve_from(actor: Any, registry: RegistryServer, service: str, image: str) -> int:
    """Add `registry` to Shoal as "real" and point the service named `service` at `image` on
    it, any tag selectable; the registry's id."""
    from core.services import registries
    from core.tables import Service

    real = await registries.create_registry(
        actor,
        registries.RegistryInput(
            name="real", url=registry.url, username=registry.username, password=registry.password
        ),
    )
    await (
        Service.update({Service.registry: real.id, Service.image: image, Service.tag_pattern: "*"})
        .where(Service.name == service)
        .run()
    )
    return real.id
