"""The agent's send queue to the control plane: a flood of log lines (a plugin writing 100 MB on
stderr) never pushes out a step's end, a status or a reply; the lines are what is dropped."""

from __future__ import annotations

import asyncio

from agent import protocol as p
from agent.events import QUEUE_LIMIT, Session


class StuckSocket:
    async def send(self, data: str, text: bool) -> None:
        await asyncio.Event().wait()

    async def close(self, code: int, reason: str) -> None:
        pass


async def test_log_lines_are_dropped_before_a_step_end_or_a_status():
    session = Session(StuckSocket())  # type: ignore[arg-type]
    line = p.LogLine(deployment_id=1, step="chatty", line="x", source="stderr")
    for _ in range(QUEUE_LIMIT + 500):
        session.send(line)
    finished = p.StepFinished(deployment_id=1, step="leaky", ok=True, log="kept")
    session.send(finished)
    session.send(p.DeploymentStatus(deployment_id=1, status="running"))
    assert session.dropped == 500
    queued = [session.queue.get_nowait() for _ in range(session.queue.qsize())]
    assert queued[-2:] == [finished, p.DeploymentStatus(deployment_id=1, status="running")]
    await session.close()
