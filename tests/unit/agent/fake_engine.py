"""An in-memory Docker behind the agent's Engine protocol (agent/engine.py), for fast unit tests
of the deployment work: containers, networks, anonymous volumes and images are plain dicts.

A service that publishes a port gets a real listener on 127.0.0.1 (it answers HTTP with 200 and
holds a TCP connection open), so the agent's own health checks run unchanged. Plugins answer
with `plugin_behaviour(step, action, document) -> (exit code, stdout document, stderr text)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agent.protocol import RegistryCredential, Volume
from agent.runtime import APIError, DockerUnavailable
from agent.runtime.attach import AttachedRun, StderrLines
from agent.runtime.containers import OwnContainer
from agent.runtime.execs import ExecOutput
from agent.runtime.images import ImagePullError
from agent.runtime.networks import pick_subnet
from agent.runtime.stats import Usage

HOLD_LIMIT_S = 60.0  # a held plugin gives up after this, so a failing test cannot hang


def _gate_opens(ready: threading.Event, cancelled: threading.Event) -> bool:
    """True once `ready` is set; False when the run is cancelled (or held too long) first."""
    deadline = time.monotonic() + HOLD_LIMIT_S
    while not ready.wait(0.01):
        if cancelled.is_set() or time.monotonic() > deadline:
            return False
    return True


PluginBehaviour = Callable[[str, str, dict[str, Any]], tuple[int, dict[str, Any], str]]


class FakePty:
    def __init__(self, cols: int, rows: int) -> None:
        self.size = (cols, rows)
        self.ours, self.theirs = socket.socketpair()

    def read(self, size: int) -> bytes:
        try:
            return self.ours.recv(size)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        self.theirs.sendall(data)  # echoed: it comes back on `read`

    def resize(self, cols: int, rows: int) -> None:
        self.size = (cols, rows)

    def close(self) -> None:
        for end in (self.ours, self.theirs):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def exit_code(self) -> int | None:
        return 0


@dataclass
class FakeContainer:
    id: str
    name: str
    deployment_id: int
    step: str
    state: str = "running"
    port: int | None = None  # container port
    host_port: int | None = None
    volume: str = ""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class PluginCall:
    deployment_id: int
    step: str
    action: str
    document: dict[str, Any]
    network: str | None


def succeed(step: str, action: str, document: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    return 0, {"outputs": {"done": step}}, f"{action} {step}\n"


class FakeEngine:
    def __init__(self, agent_id: str = "t1") -> None:
        self.agent_id = agent_id
        self.available, self.version, self.comebacks = True, "fake", 1
        self.containers: dict[str, FakeContainer] = {}
        self.networks: dict[str, tuple[int, str]] = {}  # name → (deployment id, subnet)
        self.volumes: set[str] = set()
        self.named_volumes: dict[str, int] = {}  # a deployment's volumes: name → deployment id
        self.images: set[str] = set()
        self.traffic: dict[str, int] = {}  # container id → bytes sent + received
        self.unpullable: set[str] = set()
        self.failing_services: dict[str, str] = {}  # step → Docker's refusal
        self.plugin_behaviour: PluginBehaviour = succeed
        self.plugin_calls: list[PluginCall] = []
        self.plugin_gate_opened: list[tuple[str, str]] = []  # (step, action) when stdin came
        self.plugin_started: list[tuple[str, str]] = []  # (step, action) as each run began
        self.plugin_mounts: dict[str, dict[str, str]] = {}  # step → its read-only files
        self.holding: set[str] = set()  # plugin steps whose apply runs until it is killed
        self._listeners: dict[str, asyncio.Server] = {}
        self._ids = itertools.count(1)

    # ---- what a test sets up or looks at

    def add_container(self, deployment_id: int, step: str, state: str = "running") -> str:
        """A container of this agent's, made outside the code under test (a crash's leftover)."""
        container = self._new(deployment_id, step, state=state)
        return container.id

    def add_network(self, deployment_id: int, subnet: str = "10.213.9.0/26") -> str:
        name = self.network_name(deployment_id)
        self.networks[name] = (deployment_id, subnet)
        return name

    def owned_by(self, deployment_id: int) -> list[FakeContainer]:
        return [c for c in self.containers.values() if c.deployment_id == deployment_id]

    async def close(self) -> None:
        for server in self._listeners.values():
            server.close()
        self._listeners.clear()

    # ---- the Engine protocol

    async def ping(self) -> bool:
        return self.available

    async def wait_available(self, within: float) -> bool:
        return self.available

    def network_name(self, deployment_id: int) -> str:
        return f"shoal-{self.agent_id}-{deployment_id}"

    async def create_network(
        self, deployment_id: int, pool: str, prefix: int, reserved: list[str]
    ) -> tuple[str, str]:
        self._check()
        name = self.network_name(deployment_id)
        if name not in self.networks:
            used = [ipaddress.ip_network(s) for _, s in self.networks.values()]
            used += [ipaddress.ip_network(s) for s in reserved]
            subnet = pick_subnet(ipaddress.ip_network(pool), prefix, used)
            self.networks[name] = (deployment_id, str(subnet))
        return name, self.networks[name][1]

    async def remove_networks(self, deployment_id: int) -> None:
        self._check()
        for name in [n for n, (owner, _) in self.networks.items() if owner == deployment_id]:
            del self.networks[name]

    async def remove_volumes(self, deployment_id: int) -> None:
        self._check()
        for name in [n for n, owner in self.named_volumes.items() if owner == deployment_id]:
            del self.named_volumes[name]

    async def network_owners(self) -> set[int | None]:
        self._check()
        return {owner for owner, _ in self.networks.values()}

    async def ensure_image(
        self,
        image: str,
        credentials: Iterable[RegistryCredential],
        progress: Callable[[str], None],
    ) -> None:
        await self.pull(image, credentials)

    async def image_present(self, image: str) -> bool:
        return image in self.images

    async def pull(self, image: str, credentials: Iterable[RegistryCredential]) -> None:
        self._check()
        if image in self.unpullable:
            raise ImagePullError(f"pull {image}: manifest unknown")
        self.images.add(image)

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
        self._check()
        if network not in self.networks:
            raise APIError(f"network {network} not found")
        name = f"shoal-{self.agent_id}-{deployment_id}-{step}"
        for old in [c.id for c in self.containers.values() if c.name == name]:
            await self.remove_containers([old])
        container = self._new(deployment_id, step, env=env, port=port)
        for volume in volumes:  # created on first use, kept across re-creations
            self.named_volumes[f"shoal-{self.agent_id}-{deployment_id}-{volume.name}"] = (
                deployment_id
            )
        if step in self.failing_services:
            container.state = "created"
            raise APIError(self.failing_services[step])
        if port:
            server = await asyncio.start_server(_answer, publish_address, host_port or 0)
            self._listeners[container.id] = server
            container.host_port = server.sockets[0].getsockname()[1]
        return container.host_port

    async def exited(self, deployment_id: int, step: str) -> str | None:
        found = [c for c in self.owned_by(deployment_id) if c.step == step]
        if found and found[0].state == "running":
            return None
        return "container exited (code 1); last output: (none)"

    async def start_existing(self, container_id: str) -> None:
        self.containers[container_id].state = "running"

    async def published_port(self, container_id: str, port: int) -> int | None:
        return self.containers[container_id].host_port

    async def list_own(self, deployment_id: int | None = None) -> list[OwnContainer]:
        self._check()
        return [
            OwnContainer(
                c.id,
                c.name,
                c.deployment_id,
                c.step,
                c.state,
                {c.port: c.host_port} if c.port and c.host_port else {},
            )
            for c in self.containers.values()
            if deployment_id is None or c.deployment_id == deployment_id
        ]

    async def remove_containers(self, container_ids: list[str]) -> None:
        self._check()
        for container_id in container_ids:
            container = self.containers.pop(container_id, None)
            if container is not None:
                self.volumes.discard(container.volume)  # `docker rm -v`: anonymous volumes go
            server = self._listeners.pop(container_id, None)
            if server is not None:
                server.close()

    async def stop_containers(self, container_ids: list[str]) -> None:
        self._check()
        for container_id in container_ids:
            if container_id in self.containers:
                self.containers[container_id].state = "exited"

    async def open_logs(
        self, container_id: str, *, tail: int, follow: bool, since: float, timestamps: bool
    ) -> Any:
        return iter([b"log line\n"])

    async def exec_run(
        self, container_id: str, command: list[str], timeout_s: float, limit_bytes: int
    ) -> ExecOutput:
        """Echoes the command's words on stdout (exit 0), cut at the limit like Docker's."""
        self._check()
        output = " ".join(command).encode()
        return ExecOutput(
            exit_code=0,
            stdout=bytearray(output[:limit_bytes]),
            stdout_truncated=len(output) > limit_bytes,
        )

    async def open_terminal(self, container_id: str, shell: str, cols: int, rows: int) -> Any:
        """A pty that echoes what is written (as a terminal in cooked mode does)."""
        self._check()
        return FakePty(cols, rows)

    async def usage(self, container_ids: list[str]) -> dict[str, Usage]:
        return {container_id: Usage(1.0, 10.0) for container_id in container_ids}

    async def net_bytes(self, container_ids: list[str]) -> dict[str, int]:
        return {container_id: self.traffic.get(container_id, 0) for container_id in container_ids}

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
        self._check()
        self.plugin_started.append((step, action))
        if stdin_ready is not None:  # the plugin reads nothing before the gate opens
            if not await asyncio.to_thread(_gate_opens, stdin_ready, cancelled):
                return AttachedRun(exit_code=137, killed=True)
            self.plugin_gate_opened.append((step, action))
        document = json.loads(stdin_document)
        self.plugin_calls.append(PluginCall(deployment_id, step, action, document, network))
        if mounts:
            self.plugin_mounts[step] = dict(mounts)
        if step in self.holding and action == "apply":
            await asyncio.to_thread(cancelled.wait, HOLD_LIMIT_S)
            return AttachedRun(exit_code=137, killed=True)
        code, stdout, text = self.plugin_behaviour(step, action, document)
        stderr.feed(text.encode())
        stderr.finish()
        return AttachedRun(exit_code=code, stdout=json.dumps(stdout).encode())

    # ----

    def _new(self, deployment_id: int, step: str, **fields: Any) -> FakeContainer:
        number = next(self._ids)
        container = FakeContainer(
            id=f"c{number}",
            name=f"shoal-{self.agent_id}-{deployment_id}-{step}",
            deployment_id=deployment_id,
            step=step,
            volume=f"v{number}",
            **fields,
        )
        self.containers[container.id] = container
        self.volumes.add(container.volume)
        return container

    def _check(self) -> None:
        if not self.available:
            raise DockerUnavailable("the Docker daemon does not answer (fake)")


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    # An HTTP probe writes first and gets a 200; a TCP probe writes nothing and hangs up itself.
    if await reader.read(1024):
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
    writer.close()
