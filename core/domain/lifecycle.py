"""The deployment lifecycle: every state, which state may follow which, and what each move
triggers. Nothing else decides this; `core.services.lifecycle.move` is the only writer of a
deployment's status and applies these rules (DESIGN §9).

    awaiting_approval ─┐                      ┌─▶ sleeping ⇄ waking ─┐
    waiting_for_image ─┼─▶ pending ─▶ deploying ─▶ running ◀─────────┘
                       │      │          │          │
                       │      ▼          ▼          ▼
                       │    failed ◀── (any live state) ──▶ offline ─▶ (back where the agent is)
                       └──────────────▶ deleting ─▶ deleted (final)

A move to the state a deployment is already in is allowed where the agent re-reports it (new
ports, a new error): it triggers what entering that state triggers.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class State(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # a preview from an outsider, until someone approves
    WAITING_FOR_IMAGE = "waiting_for_image"  # a tag not yet in the registry
    PENDING = "pending"  # placed on a node, not yet handed to its agent
    DEPLOYING = "deploying"
    RUNNING = "running"
    SLEEPING = "sleeping"  # containers stopped, allocation released
    WAKING = "waking"
    FAILED = "failed"  # rolled back; the error says why
    DELETING = "deleting"
    DELETED = "deleted"  # final
    OFFLINE = "offline"  # its node is not connected


class Effect(enum.StrEnum):
    """What a move sets off besides the new status."""

    EVENT = "event"  # a live status event on the deployment's page and lists
    INGRESS = "ingress"  # its routes change: resync the ingress
    FINISH_RUN = "finish_run"  # the open pipeline run ends with this outcome
    NOTIFY_READY = "notify_ready"  # people and systems hear about it (notifications)
    NOTIFY_FAILED = "notify_failed"
    NOTIFY_DELETED = "notify_deleted"
    NOTIFY_SLEPT = "notify_slept"  # once per sleep or wake, not once per run
    NOTIFY_WOKE = "notify_woke"


S = State
E = Effect
_ROUTES = frozenset({E.EVENT, E.INGRESS})
# What entering each state triggers, whichever state it came from.
ENTERING: Mapping[State, frozenset[Effect]] = {
    S.AWAITING_APPROVAL: frozenset({E.EVENT}),
    S.WAITING_FOR_IMAGE: frozenset({E.EVENT}),
    S.PENDING: frozenset({E.EVENT}),
    S.DEPLOYING: frozenset({E.EVENT}),
    S.RUNNING: _ROUTES | {E.FINISH_RUN, E.NOTIFY_READY},
    S.SLEEPING: _ROUTES,
    S.WAKING: _ROUTES,
    S.FAILED: _ROUTES | {E.FINISH_RUN, E.NOTIFY_FAILED},
    S.DELETING: frozenset({E.EVENT}),
    S.DELETED: _ROUTES | {E.FINISH_RUN, E.NOTIFY_DELETED},
    S.OFFLINE: _ROUTES,
}

# Moves that trigger something else than entering their target does: a deployment that wakes
# is running again, but no run finishes and nobody hears "ready" a second time.
ON_MOVE: Mapping[tuple[State, State], frozenset[Effect]] = {
    (S.RUNNING, S.SLEEPING): _ROUTES | {E.NOTIFY_SLEPT},
    (S.WAKING, S.RUNNING): _ROUTES | {E.NOTIFY_WOKE},
    (S.SLEEPING, S.RUNNING): _ROUTES | {E.NOTIFY_WOKE},
}

_LIVE = {S.PENDING, S.DEPLOYING, S.RUNNING, S.SLEEPING, S.WAKING, S.OFFLINE}
# from → the states it may move to.
ALLOWED: Mapping[State, frozenset[State]] = {
    S.AWAITING_APPROVAL: frozenset({S.PENDING, S.WAITING_FOR_IMAGE, S.DELETING, S.DELETED}),
    S.WAITING_FOR_IMAGE: frozenset(
        {S.WAITING_FOR_IMAGE, S.PENDING, S.FAILED, S.DELETING, S.DELETED}
    ),
    S.PENDING: frozenset({S.DEPLOYING, S.RUNNING, S.FAILED, S.OFFLINE, S.DELETING, S.DELETED}),
    S.DEPLOYING: frozenset({S.DEPLOYING, S.RUNNING, S.FAILED, S.OFFLINE, S.DELETING, S.DELETED}),
    S.RUNNING: frozenset(
        {S.RUNNING, S.DEPLOYING, S.SLEEPING, S.FAILED, S.OFFLINE, S.DELETING, S.DELETED}
    ),
    # Running again without `waking` here: its agent woke it, but the wake's answer was lost
    # (the connection dropped); the agent says what runs.
    S.SLEEPING: frozenset(
        {S.SLEEPING, S.WAKING, S.RUNNING, S.FAILED, S.OFFLINE, S.DELETING, S.DELETED}
    ),
    # A wake that fails (node full, image gone, agent restarted mid-wake) goes back to sleep.
    S.WAKING: frozenset({S.RUNNING, S.SLEEPING, S.FAILED, S.OFFLINE, S.DELETING, S.DELETED}),
    S.OFFLINE: frozenset(
        {S.OFFLINE, S.DEPLOYING, S.RUNNING, S.SLEEPING, S.FAILED, S.DELETING, S.DELETED}
    ),
    # A retry places it again; the agent's rollback report may still arrive after the failure.
    S.FAILED: frozenset({S.FAILED, S.PENDING, S.DELETING, S.DELETED}),
    S.DELETING: frozenset({S.DELETING, S.DELETED}),
    S.DELETED: frozenset(),
}


class IllegalMove(Exception):
    def __init__(self, source: str, target: str) -> None:
        super().__init__(f"a {source} deployment cannot become {target}")
        self.source, self.target = source, target


def effects_of(source: str, target: str) -> frozenset[Effect]:
    """What moving from `source` to `target` triggers; IllegalMove when it may not happen."""
    try:
        current, wanted = State(source), State(target)
    except ValueError:
        raise IllegalMove(source, target) from None
    if wanted not in ALLOWED[current]:
        raise IllegalMove(source, target)
    return ON_MOVE.get((current, wanted), ENTERING[wanted])


def sources_of(target: str) -> list[str]:
    """Every state from which `target` may be reached (for a compare-and-set update)."""
    wanted = State(target)
    return [str(source) for source, targets in ALLOWED.items() if wanted in targets]


def holds_resources(state: str) -> bool:
    """Counts against its node's capacity and must exist on the agent (sleeping ones do not
    count as used: their allocation is released, shown as reserved-to-wake)."""
    return State(state) in _LIVE - {S.SLEEPING} | {S.DELETING}
