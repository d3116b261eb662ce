"""What the agent asks of Docker: every container, network and image operation its deployment
work uses, and nothing else. runtime/engine.py answers it with the real daemon; the unit tests
answer it with an in-memory fake, so the pipeline runner, teardown and reconcile are tested
without a dockerd.

Every method runs off the event loop (the real one on a worker thread) and raises
`runtime.DockerUnavailable` when the daemon does not answer, Docker's own `APIError`/`NotFound`
when it refuses, and `ImagePullError`/`PoolExhausted` for a failed pull or subnet pick.

A new Docker operation (an exec, stopping a deployment to sleep): add it here, in
runtime/engine.py and in tests/unit/agent/fake_engine.py; test_engine_shape.py checks all three.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol

from agent.protocol import RegistryCredential, Volume
from agent.runtime.attach import AttachedRun, StderrLines
from agent.runtime.containers import OwnContainer
from agent.runtime.execs import ExecOutput
from agent.runtime.stats import Usage


class Engine(Protocol):
    available: bool  # the daemon answered the last call
    version: str
    comebacks: int  # how often the daemon came back (or was first seen): a change = catch up

    async def ping(self) -> bool: ...

    async def wait_available(self, within: float) -> bool: ...

    # ---- networks: one per deployment

    def network_name(self, deployment_id: int) -> str: ...

    async def create_network(
        self, deployment_id: int, pool: str, prefix: int, reserved: list[str]
    ) -> tuple[str, str]:
        """Create (or find) the deployment's network; (name, subnet)."""
        ...

    async def remove_networks(self, deployment_id: int) -> None: ...

    async def remove_volumes(self, deployment_id: int) -> None:
        """The deployment's volumes (after its containers are gone)."""
        ...

    async def network_owners(self) -> set[int | None]:
        """The deployments owning this agent's networks (None: a label that names none)."""
        ...

    # ---- images

    async def ensure_image(
        self,
        image: str,
        credentials: Iterable[RegistryCredential],
        progress: Callable[[str], None],
    ) -> None:
        """Make `image` available; `progress` is called from a worker thread."""
        ...

    async def image_present(self, image: str) -> bool: ...

    async def pull(self, image: str, credentials: Iterable[RegistryCredential]) -> None: ...

    # ---- service containers

    async def start_service(
        self,
        *,
        deployment_id: int,
        step: str,
        image: str,
        network: str,
        env: dict[str, str],
        command: list[str] | str | None,
        port: int | None,
        publish_address: str,
        cpu: float | None,
        memory_mb: int | None,
        cap_add: Sequence[str] = (),
        cap_drop: Sequence[str] = (),
        user: str = "",
        host_port: int | None = None,
        volumes: Sequence[Volume] = (),
        entrypoint: list[str] | str | None = None,
    ) -> int | None:
        """Create and start a service (replacing a leftover of the same name), its `volumes`
        created on first use; the host port it publishes `port` on (`host_port` first when
        still free), None when it publishes none."""
        ...

    async def exited(self, deployment_id: int, step: str) -> str | None:
        """None while the service's container runs; else why not (exit code, last output)."""
        ...

    async def start_existing(self, container_id: str) -> None: ...

    async def published_port(self, container_id: str, port: int) -> int | None: ...

    async def list_own(self, deployment_id: int | None = None) -> list[OwnContainer]:
        """This agent's containers (of one deployment, or all)."""
        ...

    async def remove_containers(self, container_ids: list[str]) -> None:
        """Stop and remove, with their anonymous volumes."""
        ...

    async def stop_containers(self, container_ids: list[str]) -> None:
        """Stop and keep (a sleeping deployment's: started again by `start_existing`)."""
        ...

    async def open_logs(
        self, container_id: str, *, tail: int, follow: bool, since: float, timestamps: bool
    ) -> Any:
        """A closable iterator of raw log chunks, read on a thread of the caller's."""
        ...

    async def exec_run(
        self, container_id: str, command: list[str], timeout_s: float, limit_bytes: int
    ) -> ExecOutput:
        """`docker exec` without a TTY (runtime/execs.py): output kept up to `limit_bytes`."""
        ...

    async def open_terminal(self, container_id: str, shell: str, cols: int, rows: int) -> Any:
        """A TTY exec of `shell` ("" = bash, else sh): runtime/terminals.Pty, whose blocking
        read/write/resize/close/exit_code the caller runs on its own threads."""
        ...

    async def usage(self, container_ids: list[str]) -> dict[str, Usage]: ...

    async def net_bytes(self, container_ids: list[str]) -> dict[str, int]:
        """Bytes sent + received so far by each running container, loopback left out
        (runtime/traffic.py); containers it cannot read are left out."""
        ...

    # ---- plugin runs

    async def run_plugin(
        self,
        *,
        deployment_id: int,
        step: str,
        action: Literal["apply", "rollback"],
        image: str,
        network: str | None,
        cpu: float | None,
        memory_mb: int | None,
        stdin_document: bytes,
        timeout_s: float,
        stderr: StderrLines,
        cancelled: threading.Event,
        stdin_ready: threading.Event | None = None,
        mounts: dict[str, str] | None = None,
    ) -> AttachedRun:
        """`docker run --rm -i` of a plugin (runtime/attach.py); `cancelled` kills it; the
        document waits for `stdin_ready` when given; `mounts` (container path → host file) are
        bound read-only."""
        ...
