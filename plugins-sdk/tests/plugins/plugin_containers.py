"""Plugin containers run as the agent runs them (`docker run --rm -i` through the docker SDK),
and service containers on a test network. Everything carries the session's label."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import docker
from docker.models.containers import Container

LABEL_KEY = "org.shoal.test"
SESSION_LABEL = {LABEL_KEY: f"plugins-sdk-{uuid.uuid4().hex[:8]}"}
PG_PASSWORD = "admin-pw'\"x"  # quotes on purpose: a password must survive every layer


@dataclass
class StepRun:
    exit_code: int | None  # None: killed at the timeout
    stdout: str
    stderr: str

    @property
    def document(self) -> Any:
        return json.loads(self.stdout)


def _read_frames(raw: socket.socket) -> tuple[bytes, bytes]:
    buffer, streams = b"", {1: bytearray(), 2: bytearray()}
    while chunk := raw.recv(65536):
        buffer += chunk
        while len(buffer) >= 8 and len(buffer) >= 8 + (size := int.from_bytes(buffer[4:8], "big")):
            streams.setdefault(buffer[0], bytearray()).extend(buffer[8 : 8 + size])
            buffer = buffer[8 + size :]
    return bytes(streams[1]), bytes(streams[2])


def run_plugin(
    client: docker.DockerClient,
    image: str,
    document: dict[str, Any] | str,
    *,
    network: str | None = None,
    timeout_s: float = 60,
    stop_after_s: float | None = None,
    volumes: dict[str, dict[str, str]] | None = None,
) -> StepRun:
    """One step: stdin written from its own thread, stdout/stderr read until the end, removed.
    ``stop_after_s`` sends SIGTERM (docker stop) then, as a runner's timeout does."""
    stdin = (document if isinstance(document, str) else json.dumps(document)).encode()
    container = client.containers.create(
        image,
        stdin_open=True,
        init=True,
        network=network,
        labels=SESSION_LABEL,
        volumes=volumes or {},
    )
    killed = threading.Event()

    def kill() -> None:
        killed.set()
        container.kill()

    try:
        stream = client.api.attach_socket(
            container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        )
        raw = getattr(stream, "_sock", stream)
        container.start()

        def write() -> None:
            raw.sendall(stdin)
            raw.shutdown(socket.SHUT_WR)

        threading.Thread(target=write, daemon=True).start()
        timer = threading.Timer(timeout_s, kill)
        timer.start()
        stopper = None
        if stop_after_s is not None:
            stopper = threading.Timer(stop_after_s, lambda: container.stop(timeout=5))
            stopper.start()
        try:
            stdout, stderr = _read_frames(raw)
        finally:
            timer.cancel()
            if stopper:
                stopper.cancel()
            raw.close()
        code = container.wait(timeout=30)["StatusCode"]
    finally:
        container.remove(force=True)
    return StepRun(None if killed.is_set() else code, stdout.decode(), stderr.decode())


def start_service(
    client: docker.DockerClient,
    image: str,
    network: str,
    alias: str,
    *,
    command: list[str] | None = None,
    environment: dict[str, str] | None = None,
) -> Container:
    """A detached service container reachable as ``alias`` on ``network`` only."""
    return client.containers.run(
        image,
        command=command,
        environment=environment,
        detach=True,
        init=True,
        labels=SESSION_LABEL,
        network=network,
        networking_config={network: client.api.create_endpoint_config(aliases=[alias])},
    )


def remove_session_leftovers(client: docker.DockerClient) -> None:
    selector = f"{LABEL_KEY}={SESSION_LABEL[LABEL_KEY]}"
    for container in client.containers.list(all=True, filters={"label": selector}):
        container.remove(force=True)
    for network in client.networks.list(filters={"label": selector}):
        network.remove()
