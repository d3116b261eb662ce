"""Docker behind one adapter: the only package that imports the docker SDK.

`Docker.call` runs a blocking SDK call in a worker thread (never on the event loop) and turns
every "daemon not reachable" failure into `DockerUnavailable`, so callers see one exception and
heartbeats can report `docker: unavailable` until the daemon is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions

log = logging.getLogger(__name__)

T = TypeVar("T")

LABEL_NODE = "shoal.node"
LABEL_DEPLOYMENT = "shoal.deployment"
LABEL_STEP = "shoal.step"
API_TIMEOUT_S = 60


class DockerUnavailable(Exception):
    """The daemon cannot be reached (down, restarting, socket missing)."""


NotFound = docker.errors.NotFound
APIError = docker.errors.APIError
ImageNotFound = docker.errors.ImageNotFound

_UNREACHABLE = (requests.exceptions.ConnectionError, ConnectionError, FileNotFoundError)


class Docker:
    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self._client: docker.DockerClient | None = None
        self.available = False
        self.version = ""
        # How often the daemon came back after being unreachable (or was first reached): a
        # change tells the agent to catch up (a dockerd restart, a node reboot).
        self.comebacks = 0

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = docker.from_env(timeout=API_TIMEOUT_S)
        return self._client

    def labels(self, deployment_id: int | None = None, step: str | None = None) -> dict[str, str]:
        labels = {LABEL_NODE: self.agent_id}
        if deployment_id is not None:
            labels[LABEL_DEPLOYMENT] = str(deployment_id)
        if step is not None:
            labels[LABEL_STEP] = step
        return labels

    def label_filter(self, deployment_id: int | None = None) -> list[str]:
        return [f"{key}={value}" for key, value in self.labels(deployment_id).items()]

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`function(client, *args, **kwargs)` on a worker thread."""
        return await asyncio.to_thread(self.run, function, *args, **kwargs)

    def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The blocking form of `call`, for code already on a worker thread."""
        try:
            result = function(self.client, *args, **kwargs)
        except docker.errors.DockerException as error:
            if isinstance(error, docker.errors.APIError) or not _is_unreachable(error):
                raise
            self._mark_down(error)
            raise DockerUnavailable(f"the Docker daemon does not answer ({error})") from error
        except _UNREACHABLE as error:
            self._mark_down(error)
            raise DockerUnavailable(f"the Docker daemon does not answer ({error})") from error
        return result

    async def ping(self) -> bool:
        """Check the daemon; updates `available` and `version`."""
        try:
            info = await self.call(lambda client: client.version())
        except (DockerUnavailable, docker.errors.DockerException):
            if self.available:
                log.warning("docker is unavailable")
            self.available = False
            return False
        if not self.available:
            log.info("docker is available (engine %s)", info.get("Version", "?"))
            self.comebacks += 1
        self.available, self.version = True, str(info.get("Version", ""))
        return True

    async def wait_available(self, within: float, every: float = 0.5) -> bool:
        """Ping until the daemon answers or `within` seconds passed; True when it answers."""
        deadline = time.monotonic() + within
        while not await self.ping():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(every)
        return True

    def _mark_down(self, error: BaseException) -> None:
        if self.available:
            log.warning("docker became unavailable: %s", error)
        self.available = False


def _is_unreachable(error: BaseException) -> bool:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _UNREACHABLE):
            return True
        cause = cause.__cause__ or cause.__context__
    return "Connection" in str(error) or "No such file" in str(error)
