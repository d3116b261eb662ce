"""A request through the ingress to a sleeping deployment's URL (issue 20): start its wake
(once, however many requests arrive: core.services.naps.wake_deployment) and say what the
visitor should see. Audited once per wake, as done by `wake-on-request`."""

from __future__ import annotations

from typing import Literal

import msgspec

from core.actor import Actor
from core.ingress.hostnames import hostname
from core.services import naps
from core.services.audit import Target, record
from core.tables import Deployment

Shown = Literal["waking", "no_room", "unavailable", "gone"]


class WakeAnswer(msgspec.Struct, frozen=True, kw_only=True):
    shown: Shown
    name: str = ""
    message: str = ""


async def wake_on_request(deployment_id: int, host: str) -> WakeAnswer:
    """`host`: the Host the visitor asked for (Caddy passes it on). Only one of the
    deployment's own hosts wakes it: someone calling Shoal's address directly with a made-up
    X-Shoal-Deployment wakes nothing."""
    row = await _row(deployment_id)
    if row is None or row["status"] not in naps.AWAKE_OR_ASLEEP or host not in _hosts(row):
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
            Deployment.ports,
            Deployment.environment.name.as_alias("environment_name"),
            Deployment.environment.base_domain.as_alias("base_domain"),
        )
        .where(Deployment.id == deployment_id)
        .output(load_json=True)
        .first()
        .run()
    )


def _hosts(row: dict) -> set[str]:
    ports = row["ports"] if isinstance(row["ports"], dict) else {}
    return {
        hostname(service, row["name"], row["environment_name"], row["base_domain"])
        for service in ports
    }
