"""A deployment's volumes: Docker volumes named after the deployment and labelled with it, so
removing the deployment (or its orphaned leftovers) finds and removes them."""

from __future__ import annotations

from collections.abc import Sequence

from agent.protocol import Volume
from agent.runtime import Docker, NotFound


def volume_name(agent_id: str, deployment_id: int, name: str) -> str:
    return f"shoal-{agent_id}-{deployment_id}-{name}"


def mounts(docker_: Docker, deployment_id: int, volumes: Sequence[Volume]) -> dict[str, dict]:
    """Create the volumes that do not exist yet; the `volumes=` argument of a container."""
    found: dict[str, dict] = {}
    labels = docker_.labels(deployment_id)
    for volume in volumes:
        name = volume_name(docker_.agent_id, deployment_id, volume.name)
        try:
            docker_.run(lambda c, n=name: c.volumes.get(n))
        except NotFound:
            docker_.run(lambda c, n=name: c.volumes.create(name=n, labels=labels))
        found[name] = {"bind": volume.path, "mode": "ro" if volume.read_only else "rw"}
    return found


def remove_volumes(docker_: Docker, deployment_id: int) -> int:
    """Remove the deployment's volumes (its containers are gone by then); return the count."""
    listed = docker_.run(
        lambda c: c.volumes.list(filters={"label": docker_.label_filter(deployment_id)})
    )
    for volume in listed:
        try:
            docker_.run(lambda _c, v=volume: v.remove(force=True))
        except NotFound:
            pass  # removed meanwhile by another teardown of the same deployment
    return len(listed)
