"""The deployment lifecycle as a table: every move that may happen, and what it triggers."""

import pytest

from core.domain.lifecycle import ALLOWED, Effect, IllegalMove, State, effects_of, sources_of

S = State
# Columns in this order; "x" = allowed. Read a row as: from <state>, it may become ...
ORDER = [
    "awaiting_approval", "waiting_for_image", "pending", "deploying", "running", "sleeping",
    "waking", "failed", "deleting", "deleted", "offline",
]  # fmt: skip
TABLE = """
                   awa wai pen dep run sle wak fai dlg del off
awaiting_approval   .   x   x   .   .   .   .   .   x   x   .
waiting_for_image   .   x   x   .   .   .   .   x   x   x   .
pending             .   .   .   x   x   .   .   x   x   x   x
deploying           .   .   .   x   x   .   .   x   x   x   x
running             .   .   .   x   x   x   .   x   x   x   x
sleeping            .   .   .   .   x   x   x   x   x   x   x
waking              .   .   .   .   x   x   .   x   x   x   x
failed              .   .   x   .   .   .   .   x   x   x   .
deleting            .   .   .   .   .   .   .   .   x   x   .
deleted             .   .   .   .   .   .   .   .   .   .   .
offline             .   .   .   x   x   x   .   x   x   x   x
"""


def _table() -> dict[str, set[str]]:
    rows = [line.split() for line in TABLE.strip().splitlines()[1:]]
    return {row[0]: {ORDER[i] for i, mark in enumerate(row[1:]) if mark == "x"} for row in rows}


def test_the_table_names_every_state_once():
    assert set(ORDER) == {str(s) for s in State} and len(ORDER) == len(State)
    assert set(_table()) == {str(s) for s in State}


@pytest.mark.parametrize("source", ORDER)
@pytest.mark.parametrize("target", ORDER)
def test_every_move(source, target):
    allowed = target in _table()[source]
    assert (S(target) in ALLOWED[S(source)]) == allowed
    if allowed:
        assert Effect.EVENT in effects_of(source, target)  # every move is shown live
        assert source in sources_of(target)
    else:
        with pytest.raises(IllegalMove, match=f"a {source} deployment cannot become {target}"):
            effects_of(source, target)
        assert source not in sources_of(target)


@pytest.mark.parametrize(
    ("source", "target", "triggers", "not_triggered"),
    [
        ("deploying", "running", {Effect.INGRESS, Effect.FINISH_RUN, Effect.NOTIFY_READY}, set()),
        ("running", "failed", {Effect.INGRESS, Effect.NOTIFY_FAILED}, {Effect.NOTIFY_READY}),
        ("deleting", "deleted", {Effect.INGRESS, Effect.NOTIFY_DELETED, Effect.FINISH_RUN}, set()),
        ("running", "offline", {Effect.INGRESS}, {Effect.NOTIFY_FAILED, Effect.FINISH_RUN}),
        ("running", "sleeping", {Effect.INGRESS, Effect.NOTIFY_SLEPT}, {Effect.NOTIFY_DELETED}),
        ("sleeping", "sleeping", {Effect.INGRESS}, {Effect.NOTIFY_SLEPT}),
        ("sleeping", "waking", {Effect.INGRESS}, {Effect.NOTIFY_WOKE}),
        ("sleeping", "running", {Effect.NOTIFY_WOKE}, {Effect.NOTIFY_READY, Effect.FINISH_RUN}),
        (
            "waking",
            "running",
            {Effect.INGRESS, Effect.NOTIFY_WOKE},
            {Effect.FINISH_RUN, Effect.NOTIFY_READY},
        ),
        ("waking", "sleeping", {Effect.INGRESS}, {Effect.NOTIFY_SLEPT, Effect.NOTIFY_FAILED}),
        ("pending", "deploying", set(), {Effect.INGRESS, Effect.NOTIFY_READY}),
        ("running", "deleting", set(), {Effect.INGRESS, Effect.NOTIFY_DELETED}),
    ],
)
def test_what_moves_trigger(source, target, triggers, not_triggered):
    effects = effects_of(source, target)
    assert triggers <= effects and not (not_triggered & effects)


def test_unknown_states_are_illegal_and_deleted_is_final():
    with pytest.raises(IllegalMove):
        effects_of("running", "exploded")
    assert not ALLOWED[S.DELETED]
    for state in State:  # nothing is stuck: every state but deleted can end
        assert state is S.DELETED or {S.DELETED, S.DELETING} & ALLOWED[state]
