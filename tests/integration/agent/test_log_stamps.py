"""Log lines carry Docker's stamps, and a stream resumes `since` one (the log viewer's restart
and reconnect path), through a real agent on dockerd."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from agent import protocol as p
from shoaltest.agent import httpd_service, make_spec

pytestmark = pytest.mark.docker


async def read_log(client, **request) -> list[p.LogLine]:
    """One unfollowed `logs` request, read to its end."""
    await client.request(p.Logs, **request)
    stream_id = client.last_id
    await client.wait_event(lambda e: isinstance(e, p.LogsEnded) and e.stream_id == stream_id)
    return [e for e in client.events if isinstance(e, p.LogLine) and e.stream_id == stream_id]


async def test_logs_carry_docker_stamps_and_resume_since_one(agent, busybox_image):
    """A stream reopened `since` the last stamp it saw (after a restart, a dropped link) gets
    every line from there on, whatever `tail` says, and nothing older."""
    service = httpd_service("web", busybox_image)
    service.config.command = [
        "sh",
        "-c",
        "echo one; sleep 0.3; echo two; sleep 0.3; echo three; exec httpd -f -p 8080 -h /www",
    ]
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=make_spec(24, [service]))
        assert (await client.wait_status(24, "running", "failed")).status == "running"
        for _ in range(50):
            lines = await read_log(client, deployment_id=24, step="web", tail=100, timestamps=True)
            if [e.line for e in lines] == ["one", "two", "three"]:
                break
            await asyncio.sleep(0.1)
        stamps = [e.time for e in lines]
        assert all(len(s) == 30 and s.endswith("Z") for s in stamps), stamps
        assert stamps == sorted(stamps)
        two = datetime.fromisoformat(stamps[1][:26] + "+00:00").timestamp()  # to the µs
        resumed = await read_log(
            client, deployment_id=24, step="web", tail=1, since=two, timestamps=True
        )
        assert [e.line for e in resumed] == ["two", "three"]
        plain = await read_log(client, deployment_id=24, step="web", tail=1)
        assert [(e.line, e.time) for e in plain] == [("three", "")]  # no stamps unless asked
        await client.request(p.Delete, deployment_id=24)
    finally:
        await client.close()
