"""Service containers: create and start with limits and a published port, list this agent's
own containers, remove them in parallel, and stream their logs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agent.protocol import Volume
from agent.runtime import LABEL_DEPLOYMENT, LABEL_STEP, APIError, Docker, NotFound
from agent.runtime.hardening import service_options
from agent.runtime.ports import candidates, is_taken
from agent.runtime.volumes import mounts

STOP_TIMEOUT_S = 2
REMOVAL_WAIT_S = 30.0  # another removal of the same container under way
TEARDOWN_THREADS = 16


@dataclass
class OwnContainer:
    id: str
    name: str
    deployment_id: int | None
    step: str
    state: str  # created, running, exited, …
    published: dict[int, int] = field(default_factory=dict)  # container port → host port


def container_name(agent_id: str, deployment_id: int, step: str) -> str:
    return f"shoal-{agent_id}-{deployment_id}-{step}"


def limit_kwargs(cpu: float | None, memory_mb: int | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    if cpu:
        kwargs["nano_cpus"] = int(cpu * 1e9)
    if memory_mb:
        kwargs["mem_limit"] = f"{memory_mb}m"
        kwargs["memswap_limit"] = f"{memory_mb}m"  # no swap beyond the limit
    return kwargs


def start_service(
    docker_: Docker,
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
    """Create and start a service container (replacing a leftover of the same name); return the
    host port it publishes `port` on, or None when nothing is published. The host port is named
    in the container's config (ports.py), `host_port` first: the one it had before."""
    name = container_name(docker_.agent_id, deployment_id, step)
    mounted = mounts(docker_, deployment_id, volumes)

    def create(client: Any, candidate: int | None) -> Any:
        return client.containers.create(
            image,
            command=command,
            entrypoint=entrypoint,
            name=name,
            environment=env,
            labels=docker_.labels(deployment_id, step),
            network=network,
            networking_config={network: client.api.create_endpoint_config(aliases=[step])},
            ports={f"{port}/tcp": (publish_address, candidate)} if port else None,
            init=True,
            stop_signal="SIGTERM",
            restart_policy={"Name": "unless-stopped"},
            volumes=mounted or None,
            **service_options(cap_add, cap_drop, user),
            **limit_kwargs(cpu, memory_mb),
        )

    for candidate in candidates(publish_address, host_port) if port else [None]:
        remove_by_name(docker_, name)
        container = docker_.run(create, candidate)
        try:
            docker_.run(lambda c, new=container: new.start())
            break
        except APIError as error:
            if candidate is None or not is_taken(error):
                raise
    if not port:
        return None
    return published_port(docker_, container.id, port)


def published_port(docker_: Docker, container_id: str, port: int) -> int | None:
    """The host port a running container publishes `port` on."""
    attrs = docker_.run(lambda c: c.api.inspect_container(container_id))
    bindings = (attrs["NetworkSettings"]["Ports"] or {}).get(f"{port}/tcp") or []
    return int(bindings[0]["HostPort"]) if bindings else None


def remove_by_name(docker_: Docker, name: str) -> None:
    force_remove(docker_, name)


def force_remove(docker_: Docker, ref: str) -> None:
    """Remove a container; one whose removal is already under way (Docker answers 409, e.g. a
    rollback and a reconcile after an agent restart both removing it) is waited for, not a
    failure: either way it is gone afterwards."""
    try:
        docker_.run(lambda c: c.api.remove_container(ref, force=True, v=True))
        return
    except NotFound:
        return
    except APIError as error:
        if error.status_code != 409 or "already in progress" not in str(error):
            raise
    deadline = time.monotonic() + REMOVAL_WAIT_S
    while time.monotonic() < deadline:
        try:
            docker_.run(lambda c: c.api.inspect_container(ref))
        except NotFound:
            return
        time.sleep(0.2)


def list_own(docker_: Docker, deployment_id: int | None = None) -> list[OwnContainer]:
    rows = docker_.run(
        lambda c: c.api.containers(all=True, filters={"label": docker_.label_filter(deployment_id)})
    )
    own = []
    for row in rows:
        labels = row.get("Labels") or {}
        raw_id = labels.get(LABEL_DEPLOYMENT, "")
        name = (row.get("Names") or ["?"])[0].lstrip("/")
        deployment = int(raw_id) if raw_id.isdigit() else None
        published = {
            int(p["PrivatePort"]): int(p["PublicPort"])
            for p in row.get("Ports") or []
            if p.get("PublicPort") and p.get("Type", "tcp") == "tcp"
        }
        own.append(
            OwnContainer(
                row["Id"],
                name,
                deployment,
                labels.get(LABEL_STEP, ""),
                row.get("State", ""),
                published,
            )
        )
    return own


def start_existing(docker_: Docker, container_id: str) -> None:
    docker_.run(lambda c: c.api.start(container_id))


def stop_containers(docker_: Docker, container_ids: list[str]) -> None:
    """Stop, all in parallel, keeping the containers (a sleeping deployment's). Docker does not
    bring back a container stopped this way under `unless-stopped`, not even on a reboot."""

    def stop(container_id: str) -> None:
        try:
            docker_.run(lambda c: c.api.stop(container_id, timeout=STOP_TIMEOUT_S))
        except NotFound:
            return

    if not container_ids:
        return
    with ThreadPoolExecutor(min(TEARDOWN_THREADS, len(container_ids))) as pool:
        list(pool.map(stop, container_ids))


def remove_containers(docker_: Docker, container_ids: list[str]) -> None:
    """Stop (short timeout; the init process forwards SIGTERM) and remove, all in parallel."""

    def remove(container_id: str) -> None:
        try:
            docker_.run(lambda c: c.api.stop(container_id, timeout=STOP_TIMEOUT_S))
        except NotFound:
            return
        except Exception:  # removal below forces it anyway
            pass
        force_remove(docker_, container_id)

    if not container_ids:
        return
    with ThreadPoolExecutor(min(TEARDOWN_THREADS, len(container_ids))) as pool:
        list(pool.map(remove, container_ids))


def open_logs(
    docker_: Docker,
    container_id: str,
    *,
    tail: int,
    follow: bool,
    since: float = 0.0,
    timestamps: bool = False,
) -> Any:
    """A closable iterator of raw log chunks (close() ends a follow from another thread).
    With `since` (Unix seconds) every line stamped at or after it, whatever `tail` says: a
    stream resumed after a restart must not lose what the service wrote meanwhile."""
    return docker_.run(
        lambda c: c.api.logs(
            container_id,
            stream=True,
            follow=follow,
            tail="all" if since > 0 else max(tail, 0),
            since=since if since > 0 else None,
            timestamps=timestamps,
            stdout=True,
            stderr=True,
        )
    )
