"""Deployment statuses (DESIGN §4) and which of them hold resources on a node."""

from __future__ import annotations

PENDING = "pending"
DEPLOYING = "deploying"
RUNNING = "running"
FAILED = "failed"
DELETING = "deleting"
DELETED = "deleted"
OFFLINE = "offline"

ALL = (PENDING, DEPLOYING, RUNNING, FAILED, DELETING, DELETED, OFFLINE)
# Statuses that count against a node's capacity and must exist on the agent.
LIVE = (PENDING, DEPLOYING, RUNNING, OFFLINE, DELETING)
# Statuses in which a user may still act on the deployment (extend, delete, clone…).
ACTIVE = (PENDING, DEPLOYING, RUNNING, OFFLINE, FAILED)
IN_PROGRESS = (PENDING, DEPLOYING, DELETING)

# What the agent may report for a deployment, mapped onto ours.
FROM_AGENT = {
    "pending": DEPLOYING,
    "deploying": DEPLOYING,
    "running": RUNNING,
    "failed": FAILED,
    "deleting": DELETING,
    "deleted": DELETED,
}


def can_extend(status: str) -> bool:
    return status in (PENDING, DEPLOYING, RUNNING, OFFLINE)


def can_delete(status: str) -> bool:
    return status in ACTIVE


def can_retry(status: str) -> bool:
    return status == FAILED
