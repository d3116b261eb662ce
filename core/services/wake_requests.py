"""A request through the ingress to a sleeping deployment's URL (issue 20): start its wake
(once, however many requests arrive: core.services.naps.wake_deployment) and say what the
visitor should see. Audited once per wake, as done by `wake-on-request`."""

from __future__ import annotations

from typing import Literal

import msgspec

from core.actor import Actor
from core.services import naps
from core.services.audit import Target, record
from core.tables import Deployment

Shown = Literal["waking", "no_room", "unavailable", "gone"]


class WakeAnswer(msgspec.Struct, frozen=True, kw_only=True):
    shown: Shown
    name: str = ""
    message: str = ""


async def wake_on_request(deployment_id: int) -> WakeAnswer:
    row = await _row(deployment_id)
    if row is None or row["status"] not in naps.AWAKE_OR_ASLEEP:
        return WakeAnswer(shown="gone")
    result = await naps.wake_deployment(deployment_id)
    if result == "started":
        target = Target(
            "deployment",
            deployment_id,
            row["name"],
            project_id=row["project"],
            environment_id=row["environment"],
        )
        await record(Actor.system("wake-on-request"), "deployment.wake", target, detail="started")
    if result in ("started", "waking", "running"):
        return WakeAnswer(shown="waking", name=row["name"])
    if result == "gone":
        return WakeAnswer(shown="gone", name=row["name"])
    after = await _row(deployment_id)
    return WakeAnswer(shown=result, name=row["name"], message=(after or row)["error"])


async def _row(deployment_id: int) -> dict | None:
    return await (
        Deployment.select(
            Deployment.name,
            Deployment.status,
            Deployment.error,
            Deployment.project,
            Deployment.environment,
        )
        .where(Deployment.id == deployment_id)
        .first()
        .run()
    )
