"""Previews whose images are not in the registry yet (CI still building): they wait in
`waiting_for_image`, taking no node and running nothing, and deploy once every chosen tag is
there; an update of a running preview waits with the old deployment still serving. A registry
push wakes them at once (`wake`); the `check_waiting_images` job, every minute, is the
fallback; past `preview_image_wait_minutes` they fail (or the update gives up), saying which
image never came.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from core import runtime
from core.domain import pipeline as graphs
from core.domain import status
from core.errors import ShoalError
from core.registry_client import RegistryError, RepositoryNotFound
from core.services import lifecycle, preview_deployments, registries
from core.services.deployment_inputs import latest_pipeline
from core.tables import Deployment, PipelineVersion, Service
from core.tables.previews import Preview

log = logging.getLogger("shoal.previews")
JOB = "check_waiting_images"
# A preview update whose images are not built yet: what reconcile returns for "not applied".
NOT_YET = "waiting for image; the running deployment stays until then"
KEEP = (status.RUNNING, status.SLEEPING)  # states that keep serving while an update waits


async def _chosen(
    tags: dict[str, str], project_id: int | None, version_id: int | None
) -> list[tuple[str, dict, str]]:
    """(node id, service row, tag) of each selectable service node given a tag, under the
    project's latest pipeline (or the given version); pinned tags are the catalog's own."""
    if version_id is None:
        graph = graphs.decode((await latest_pipeline(project_id or 0))["graph"])
    else:
        row = await (
            PipelineVersion.select(PipelineVersion.graph)
            .where(PipelineVersion.id == version_id)
            .output(load_json=True)
            .first()
        )
        graph = graphs.decode(row["graph"])
    nodes = [(n.id, n.config.get("service_id")) for n in graph.nodes if n.kind == "service"]
    ids = [service for _, service in nodes if service] or [0]
    rows = {row["id"]: row for row in await Service.select().where(Service.id.is_in(ids))}
    return [
        (node, rows[service], tags[node])
        for node, service in nodes
        if service in rows and rows[service]["tag_mode"] == "selectable" and tags.get(node)
    ]


async def missing(
    tags: dict[str, str], *, project_id: int | None = None, version_id: int | None = None
) -> list[str]:
    """`image:tag` of each selectable service whose chosen tag the registry does not list.
    A registry that cannot be asked counts as having it: the deployment then goes ahead and
    its pull says what failed. Each image is asked once, all at the same time (this is on the
    path from a webhook to the preview's URL)."""
    chosen = await _chosen(tags, project_id, version_id)
    wanted: dict[tuple[int, str], set[str]] = {}
    for _, service, tag in chosen:
        wanted.setdefault((service["registry"], service["image"]), set()).add(tag)
    found = await asyncio.gather(*(_absent(*key, want) for key, want in wanted.items()))
    absent_of = dict(zip(wanted, found, strict=True))
    absent: list[str] = []
    for _, service, tag in chosen:
        name = f"{service['image']}:{tag}"
        if tag in absent_of[(service["registry"], service["image"])] and name not in absent:
            absent.append(name)
    return absent


async def _absent(registry_id: int, image: str, wanted: set[str]) -> set[str]:
    """The wanted tags the registry lacks. The cached listing answers when it has them all (a
    tag seen is still there; if deleted since, the pull says so); only a tag it lacks asks the
    registry again, as CI may have pushed it a moment ago."""
    asked_at = datetime.now(UTC)
    try:
        listing = await registries.list_tags(registry_id, image)
        absent = wanted - set(listing.tags)
        if absent and listing.fetched_at < asked_at:  # from the cache: maybe stale
            listing = await registries.list_tags(registry_id, image, refresh=True)
            absent = wanted - set(listing.tags)
    except RepositoryNotFound:  # nothing pushed to it yet: CI's first build
        return set(wanted)
    except RegistryError as exc:
        log.info("preview image check of %s skipped: %s", image, exc.detail)
        return set()
    return absent


async def awaited(deployment_id: int) -> dict[str, str]:
    """Service node → tag a waiting deployment waits for (what its page names)."""
    row = await (
        Deployment.select(Deployment.tags, Deployment.pipeline_version)
        .where(Deployment.id == deployment_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        return {}
    chosen = await _chosen(row["tags"] or {}, None, row["pipeline_version"])
    return {node: tag for node, _, tag in chosen}


async def wait(deployment_id: int) -> bool:
    """A held deployment (awaiting approval, just approved) goes on to wait for its image."""
    return await lifecycle.move(deployment_id, status.WAITING_FOR_IMAGE)


async def keep_running(row: dict, tags: dict[str, str], project_id: int) -> str:
    """For a running preview whose new tags are not all built yet: it keeps serving, and the
    new version waits (NOT_YET: not applied, so the check tries it again); past the wait
    limit the preview gets an error saying which image never came, and the old one stays."""
    limit = timedelta(minutes=runtime.settings().preview_image_wait_minutes)
    if datetime.now(UTC) - row["updated_at"] <= limit:
        return NOT_YET
    absent = ", ".join(await missing(tags, project_id=project_id))
    minutes = int(limit.total_seconds() // 60)
    error = (
        f"The image {absent} did not appear in the registry within {minutes} minutes; "
        "the previous deployment keeps running."
    )
    await Preview.update({Preview.error: error}).where(Preview.id == row["id"]).run()
    return "gave up waiting for the image"


async def _waiting_updates() -> list[int]:
    """Previews whose running deployment waits to be replaced by a newer version."""
    rows = await Preview.raw(
        "SELECT p.id FROM previews p JOIN deployments d ON d.id = p.deployment"
        " WHERE p.state = 'open' AND p.generation > p.applied_generation"
        " AND d.status = ANY({})",
        list(KEEP),
    ).run()
    return [row["id"] for row in rows]


async def wake(pushed: list[tuple[str, str]]) -> None:
    """A registry said these (repository, tag) arrived: check the waiting ones now."""
    waiting = Deployment.exists().where(Deployment.status == status.WAITING_FOR_IMAGE)
    if await waiting.run() or await _waiting_updates():
        log.info("pushed %s: checking the deployments waiting for an image", pushed[:5])
        # No job key: a check already running may have looked before this push landed.
        await runtime.queue().enqueue(JOB, timeout=0)


async def check_waiting(now: datetime | None = None) -> dict[str, list[int]]:
    """Releases the waiting deployments whose images are all there, fails those that waited
    too long; each under its preview's lock, so a new push meanwhile is not lost."""
    now = now or datetime.now(UTC)
    limit = timedelta(minutes=runtime.settings().preview_image_wait_minutes)
    rows = (
        await Deployment.select(
            Deployment.id, Deployment.tags, Deployment.pipeline_version, Deployment.created_at
        )
        .where(Deployment.status == status.WAITING_FOR_IMAGE)
        .output(load_json=True)
        .run()
    )
    done: dict[str, list[int]] = {"released": [], "failed": [], "waiting": [], "updates": []}
    for preview_id in await _waiting_updates():  # their job checks the images again
        await runtime.queue().enqueue("reconcile_preview", preview_id=preview_id, timeout=0)
        done["updates"].append(preview_id)
    for row in rows:
        preview = (
            await Preview.select(Preview.id).where(Preview.deployment == row["id"]).first().run()
        )
        async with preview_deployments.preview_lock(preview["id"] if preview else -row["id"]):
            verdict = await _check_one(row["id"], now, limit)
        done[verdict].append(row["id"])
    return done


async def _check_one(deployment_id: int, now: datetime, limit: timedelta) -> str:
    row = await (
        Deployment.select(
            Deployment.status, Deployment.tags, Deployment.pipeline_version, Deployment.created_at
        )
        .where(Deployment.id == deployment_id)
        .output(load_json=True)
        .first()
    )
    if row is None or row["status"] != status.WAITING_FOR_IMAGE:
        return "waiting"  # moved meanwhile (deleted, replaced): nothing to do here
    absent = await missing(row["tags"] or {}, version_id=row["pipeline_version"])
    if not absent:
        try:
            released = await preview_deployments.release(deployment_id)
        except ShoalError as exc:  # no node has room for it now
            await preview_deployments.hold_failed(deployment_id, exc.detail)
            return "failed"
        return "released" if released else "waiting"
    if now - row["created_at"] > limit:
        minutes = int(limit.total_seconds() // 60)
        await preview_deployments.hold_failed(
            deployment_id,
            f"The image {', '.join(absent)} did not appear in the registry within "
            f"{minutes} minutes.",
        )
        return "failed"
    return "waiting"
