"""What a deployment page says about progress, derived from the deployment's real state.

A toast put up by an action ("'pr-1' is on its way.") carries `about` = `deployment-<id>`;
while the page is open, each live refresh sends it back (the toast holds a hidden `toast`
field the live section includes) and gets a replacement once the state says something else,
so a green "on its way" never sits over a failed deployment.
"""

from __future__ import annotations

import msgspec

from core.domain import status
from core.services.deployment_history import RunView
from core.services.deployments import DeploymentView


class Notice(msgspec.Struct, frozen=True):
    level: str  # success | error | info, as partials/toast.html styles them
    message: str
    about: str


def about(deployment_id: int) -> str:
    return f"deployment-{deployment_id}"


def follow(dep: DeploymentView) -> Notice | None:
    """The toast's text now, or None while the action's own words still hold (it is under way)."""
    said = {
        status.RUNNING: ("success", f"'{dep.name}' is running."),
        status.FAILED: ("error", f"'{dep.name}' failed: what went wrong is shown below."),
        status.DELETED: ("info", f"'{dep.name}' was deleted."),
        status.OFFLINE: ("info", f"'{dep.name}' waits for its node, which is offline."),
    }.get(dep.status)
    return Notice(said[0], said[1], about(dep.id)) if said else None


def followed_flash(flash: dict | None, dep: DeploymentView) -> dict | None:
    """A flash about this deployment, as its state has it by the time the page is drawn."""
    if not flash or flash.get("about") != about(dep.id):
        return flash
    now = follow(dep)
    return flash if now is None else {**flash, "level": now.level, "message": now.message}


def idle_step(run: RunView | None, dep: DeploymentView) -> tuple[str, str]:
    """(label, badge class) of a pipeline node the latest run has no step for yet."""
    if run is None:
        return "waiting", "pending"
    settled = (status.RUNNING, status.FAILED, status.DELETED)
    under_way = run.finished_at is None and dep.status not in settled
    if run.action == "delete":  # services are removed without steps of their own
        return ("removing", "pending") if under_way else ("removed", "idle")
    return ("waiting", "pending") if under_way else ("not run", "idle")
