"""Which events of the all-deployments feed one subscriber may receive.

The deployment list follows every deployment's status changes through one topic
(core.events.ALL_DEPLOYMENTS); a status event names its deployment and may carry its error
text, so a subscriber gets only the events of deployments their grants cover (DESIGN §4:
what a user may not see is not shown at all). Kept cheap because the list is the busiest page:

- an admin's events pass without a look-up;
- a deployment's project and environment never change, so each process remembers them per
  deployment id (one query the first time an id turns up, shared by every subscriber that
  asks at that moment);
- a subscriber's grants are read when the stream opens and again at most every
  GRANTS_TTL_S when events arrive, so a revoked grant stops the flow within seconds without a
  query per event.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from core import db
from core.actor import Actor
from core.domain.access import AccessMap, Level
from core.services import access

GRANTS_TTL_S = 10.0
MAX_REMEMBERED = 50_000
OWNER_SQL = "SELECT project, environment FROM deployments WHERE id = $1"

_owners: dict[int, tuple[int, int]] = {}
_loading: dict[int, asyncio.Future[tuple[int, int] | None]] = {}


class Visibility:
    """One subscriber's filter: `await allows(event)` for each event of the feed."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self._acl: AccessMap | None = None
        self._read_at = 0.0

    async def allows(self, event: dict[str, Any]) -> bool:
        acl = await self._access()
        if acl.is_admin:
            return True
        deployment_id = _deployment_id(event)
        if deployment_id is None:
            return False
        found = await owner(deployment_id)
        return found is not None and acl.deployment_level(*found) > Level.NONE

    async def _access(self) -> AccessMap:
        if self._acl is None or time.monotonic() - self._read_at >= GRANTS_TTL_S:
            self._acl = await access.access_for(self.actor)
            self._read_at = time.monotonic()
        return self._acl


def _deployment_id(event: dict[str, Any]) -> int | None:
    kind, _, number = str(event.get("topic", "")).partition(":")
    return int(number) if kind == "deployment" and number.isdigit() else None


async def owner(deployment_id: int) -> tuple[int, int] | None:
    """(project id, environment id) of a deployment; None when there is no such deployment."""
    found = _owners.get(deployment_id)
    if found is not None:
        return found
    loading = _loading.get(deployment_id)
    if loading is None:
        loading = asyncio.ensure_future(_load(deployment_id))
        _loading[deployment_id] = loading
        loading.add_done_callback(lambda _: _loading.pop(deployment_id, None))
    return await asyncio.shield(loading)


async def _load(deployment_id: int) -> tuple[int, int] | None:
    rows = await db.fetch(OWNER_SQL, deployment_id)
    if not rows:
        return None  # not remembered: the id may belong to a deployment being created
    if len(_owners) >= MAX_REMEMBERED:
        _owners.clear()
    _owners[deployment_id] = (rows[0]["project"], rows[0]["environment"])
    return _owners[deployment_id]
