"""The one writer of a deployment's status: `move` checks the move against the lifecycle
(core.domain.lifecycle) inside the UPDATE itself, so two writers racing (a user's delete and
the agent's late "running") can never undo each other, then sets off what the move triggers.

Callers: the create and change services (user actions), the deployment jobs (handing work to
the hub), the hub's event recorder (what agents report) and node removal.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Mapping
from typing import Any

from core import events
from core.domain.lifecycle import ENTERING, ON_MOVE, Effect, State, sources_of
from core.notifications import outbox
from core.services import preview_moves
from core.tables import Deployment, PipelineRun

log = logging.getLogger("shoal.lifecycle")

RUN_OUTCOME = {State.RUNNING: "succeeded", State.FAILED: "failed", State.DELETED: "succeeded"}
NOTIFICATIONS = "deployment-notifications"  # the topic notification channels listen on


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def move(
    deployment_id: int,
    target: str,
    *,
    error: str | None = None,
    node_id: int | None = None,
    values: Mapping[Any, Any] | None = None,
) -> bool:
    """Move one deployment to `target` if its current state allows it. `node_id`: only if it is
    placed on that node (an agent speaks for its own node only); `error` replaces the error text
    (None keeps it); `values`: other columns that change with the status. False: not moved."""
    where, values = (Deployment.id == deployment_id), values or {}
    # A move with effects of its own (core.domain.lifecycle.ON_MOVE) is tried from its source
    # first, each one a compare-and-set of its own; the rest from any other allowed source.
    special = [source for source, wanted in ON_MOVE if wanted == State(target)]
    for source in special:
        only = where & (Deployment.status == str(source))
        moved = await _update(only, target, error, node_id, values, checked=True)
        if moved:
            await _trigger(moved[0], target, error, ON_MOVE[(source, State(target))])
            return True
    others = [state for state in sources_of(target) if state not in special]
    where = where & Deployment.status.is_in(others)
    moved = await _update(where, target, error, node_id, values, checked=True)
    if not moved:
        log.debug("deployment %s: no move to %s from its current state", deployment_id, target)
        return False
    await _trigger(moved[0], target, error)
    return True


async def move_node_deployments(node_id: int, target: str, only_from: list[str]) -> list[int]:
    """Move every deployment on a node that is in one of `only_from` (a node going offline)."""
    allowed = [state for state in only_from if state in sources_of(target)]
    where = (Deployment.node == node_id) & Deployment.status.is_in(allowed)
    moved = await _update(where, target, None, None, {}, checked=True)
    for row in moved:
        await _trigger(row, target, None)
    return [row["id"] for row in moved]


async def _update(
    where: Any,
    target: str,
    error: str | None,
    node_id: int | None,
    values: Mapping[Any, Any],
    checked: bool = False,
) -> list[dict[str, Any]]:
    state = State(target)
    now = _now()
    changes: dict[Any, Any] = {Deployment.status: str(state), Deployment.updated_at: now, **values}
    if error is not None:
        changes[Deployment.error] = error[:4000]
    if state is State.DELETED:
        changes[Deployment.deleted_at] = now
    if not checked:
        where = where & Deployment.status.is_in(sources_of(target))
    if node_id is not None:
        where = where & (Deployment.node == node_id)
    return await (
        Deployment.update(changes)
        .where(where)
        .returning(Deployment.id, Deployment.error, Deployment.ports)
        .run()
    )


async def _trigger(
    row: dict[str, Any], target: str, error: str | None, effects: frozenset[Effect] | None = None
) -> None:
    deployment_id = row["id"]
    effects = ENTERING[State(target)] if effects is None else effects
    if Effect.FINISH_RUN in effects:
        await _finish_run(deployment_id, RUN_OUTCOME[State(target)], row.get("error") or "")
    if Effect.EVENT in effects:
        await events.publish(
            f"deployment:{deployment_id}",
            kind="status",
            status=target,
            error=row.get("error") or "",
            ports=_json(row.get("ports")),
        )
    for effect, kind in _NOTIFY.items():
        if effect in effects:
            # The outbox row is what channels hear (durable, once per run); the live event is
            # for pages that follow it.
            await outbox.record_deployment(kind, deployment_id)
            await events.publish(NOTIFICATIONS, kind=kind, deployment_id=deployment_id)
    for effect, kind in _NAPS.items():
        if effect in effects:
            # Each of these moves is one compare-and-set, so its time keys it: one event per
            # sleep or wake (a run may sleep and wake many times; `ready` is once per run).
            key = f"{kind}:{deployment_id}:{_now().isoformat()}"
            await outbox.record(kind, key, deployment_id=deployment_id)
            await events.publish(NOTIFICATIONS, kind=kind, deployment_id=deployment_id)
    if Effect.INGRESS in effects:
        _request_ingress_sync()
    if effects & _NOTIFY.keys():  # a preview's pull request hears it too (enqueued once, here)
        await preview_moves.on_move(deployment_id)


_NOTIFY = {
    Effect.NOTIFY_READY: "ready",
    Effect.NOTIFY_FAILED: "failed",
    Effect.NOTIFY_DELETED: "deleted",
}
_NAPS = {Effect.NOTIFY_SLEPT: "slept", Effect.NOTIFY_WOKE: "woke"}


async def _finish_run(deployment_id: int, outcome: str, error: str) -> None:
    latest = await (
        PipelineRun.select(PipelineRun.id)
        .where((PipelineRun.deployment == deployment_id) & PipelineRun.finished_at.is_null())
        .order_by(PipelineRun.id, ascending=False)
        .first()
        .run()
    )
    if latest is not None:
        await (
            PipelineRun.update(
                {
                    PipelineRun.status: outcome,
                    PipelineRun.finished_at: _now(),
                    PipelineRun.error: error,
                }
            )
            .where(PipelineRun.id == latest["id"])
            .run()
        )


def _json(value: Any) -> Any:
    return json.loads(value or "{}") if isinstance(value, (str, bytes)) else value or {}


def _request_ingress_sync() -> None:
    try:
        from core import ingress
    except ImportError:  # the ingress is optional
        return
    ingress.request_sync()
