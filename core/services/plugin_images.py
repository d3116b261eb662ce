"""Plugin distribution: the registry credentials that go with the catalog's plugin list to the
agents (decrypted only for the message), the push to every connected agent as soon as the list
changes, and what each node reports back per image (present, pulling, failed with the reason),
for the plugin page.

Every Sync after a handshake carries the list too (core.hub.recorder), so a node that was
offline during a change catches up when it reconnects.
"""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

import msgspec

from agent import protocol
from core.domain import images
from core.errors import ShoalError
from core.hub import get_hub
from core.services import registries
from core.tables import Node, Registry

log = logging.getLogger(__name__)


class NodeImage(msgspec.Struct, kw_only=True):
    """One node's state of one plugin image: `unknown` until its agent reports it."""

    node_id: int
    node_name: str
    environment: str
    node_status: str
    state: str  # present | pulling | failed | unknown
    error: str = ""
    at: datetime | None = None


async def registry_credentials(
    registry_ids: set[int],
) -> dict[int, protocol.RegistryCredential]:
    """What agents pull plugin images with: the credentials of those registries that have any
    (the list itself is built by deployment_actions.plugin_infos, the hub's provider)."""
    found: dict[int, protocol.RegistryCredential] = {}
    if not registry_ids:
        return found
    rows = await (
        Registry.select(Registry.id)
        .where(Registry.id.is_in(list(registry_ids)) & (Registry.username != ""))
        .run()
    )
    for row in rows:
        try:
            url, username, password = await registries.credentials(row["id"])
        except ShoalError as error:  # no or a wrong master key: the pull says what is missing
            log.warning("registry %s: credentials not sent to agents: %s", row["id"], error)
            continue
        found[row["id"]] = protocol.RegistryCredential(
            registry=urlsplit(url).netloc, username=username, password=password
        )
    return found


async def announce() -> None:
    """Tell every connected agent the plugin list now. Never fails the change that called it:
    an agent that misses it gets the list with its next Sync."""
    try:
        await get_hub().plugins_changed()
    except Exception as error:
        log.warning("plugin list not pushed to the agents now: %s", error)


async def node_states(registry_id: int, image: str, tag: str) -> list[NodeImage]:
    """Each enabled node's state of the plugin image `image:tag` of that registry."""
    registry = await Registry.select(Registry.url).where(Registry.id == registry_id).first().run()
    if registry is None:
        return []
    reference = images.pull_reference(registry["url"], image, tag)
    rows = await (
        Node.select(
            Node.id,
            Node.name,
            Node.environment.name.as_alias("environment"),
            Node.status,
            Node.plugin_images,
        )
        .where(Node.enabled == True)  # noqa: E712 (a Piccolo expression, not a comparison)
        .order_by(Node.environment.name)
        .order_by(Node.name)
        .output(load_json=True)
        .run()
    )
    states = []
    for row in rows:
        reported = row["plugin_images"] or {}
        if isinstance(reported, str):  # JSONB beside a joined column comes back as text
            reported = msgspec.json.decode(reported)
        entry = reported.get(reference) or {}
        states.append(
            NodeImage(
                node_id=row["id"],
                node_name=row["name"],
                environment=row["environment"],
                node_status=row["status"],
                state=entry.get("state", "unknown"),
                error=entry.get("error", ""),
                at=datetime.fromisoformat(entry["at"]) if entry.get("at") else None,
            )
        )
    return states
