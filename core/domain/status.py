"""Deployment status names and the groups of them that queries use (DESIGN §4). Which status
may follow which, and what a move triggers, is core.domain.lifecycle: the one place."""

from __future__ import annotations

from core.domain.lifecycle import State

AWAITING_APPROVAL = State.AWAITING_APPROVAL.value
WAITING_FOR_IMAGE = State.WAITING_FOR_IMAGE.value
PENDING = State.PENDING.value
DEPLOYING = State.DEPLOYING.value
RUNNING = State.RUNNING.value
SLEEPING = State.SLEEPING.value
WAKING = State.WAKING.value
FAILED = State.FAILED.value
DELETING = State.DELETING.value
DELETED = State.DELETED.value
OFFLINE = State.OFFLINE.value

ALL = tuple(state.value for state in State)
# Statuses that count against a node's capacity and must exist on the agent (a sleeping
# deployment's allocation is released).
LIVE = (PENDING, DEPLOYING, RUNNING, WAKING, OFFLINE, DELETING)
# Statuses in which a user may still act on the deployment (extend, delete, clone…).
ACTIVE = (
    AWAITING_APPROVAL, WAITING_FOR_IMAGE, PENDING, DEPLOYING, RUNNING, SLEEPING, WAKING, OFFLINE,
    FAILED,
)  # fmt: skip
IN_PROGRESS = (PENDING, DEPLOYING, WAKING, DELETING)


def can_extend(status: str) -> bool:
    return status in ACTIVE and status != FAILED


def can_delete(status: str) -> bool:
    return status in ACTIVE


def can_retry(status: str) -> bool:
    return status == FAILED
