"""The hub session's event queue: a flood of live log lines (a plugin writing 100 MB on stderr)
never pushes out a step's end or a status; the lines are what is dropped."""

from __future__ import annotations

import asyncio

from agent import protocol as p
from core.hub.config import HubConfig
from core.hub.session import EVENT_QUEUE, Session


def test_log_lines_are_dropped_before_a_step_end():
    session = Session(ws=None, config=HubConfig())  # type: ignore[arg-type]
    events: asyncio.Queue = asyncio.Queue(10 * EVENT_QUEUE)
    line = p.LogLine(deployment_id=1, step="chatty", line="x", source="stderr")
    for _ in range(EVENT_QUEUE + 300):
        session._route(line, events)
    finished = p.StepFinished(deployment_id=1, step="leaky", ok=True, log="kept")
    session._route(finished, events)
    assert session.dropped_lines == 300 and events.qsize() == EVENT_QUEUE + 1
    queued = [events.get_nowait() for _ in range(events.qsize())]
    assert queued[-1] == finished
