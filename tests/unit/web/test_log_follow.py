"""The log follower's rules, with a scripted stand-in for the hub (the real paths are covered
end to end in tests/e2e/test_log_viewer.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.errors import AgentUnavailable, NotFound
from core.hub import AgentNotFound
from web import log_follow
from web.log_follow import Cursor, Ended, Line, Notice, follow, stamp_ns


@dataclass
class FakeLine:
    line: str
    time: str = ""
    step: str = "web"
    source: str = "stdout"


def stamp(second: int, nanos: int = 0) -> str:
    return f"2026-05-01T10:00:{second:02d}.{nanos:09d}Z"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(log_follow, "BACKOFF_S", (0,))


class Script:
    """Each open returns the next scripted outcome: a list of lines, or an error to raise."""

    def __init__(self, outcomes, statuses) -> None:
        self.outcomes, self.statuses = list(outcomes), list(statuses)
        self.opens: list[tuple[float, int]] = []

    async def open_stream(self, since: float, tail: int):
        self.opens.append((since, tail))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        for line in outcome:
            yield line

    async def read_status(self) -> str:
        status = self.statuses.pop(0)
        if isinstance(status, Exception):
            raise status
        return status


async def collect(script: Script, resume: Cursor | None = None) -> list:
    return [
        item async for item in follow(script.open_stream, script.read_status, "web", 500, resume)
    ]


def test_docker_stamps_read_to_the_nanosecond():
    assert stamp_ns("1970-01-01T00:00:01.000000002Z") == 1_000_000_002
    assert stamp_ns("1970-01-01T01:00:01.5+01:00") == 1_500_000_000
    assert stamp_ns("1970-01-01T00:00:01Z") == 1_000_000_000
    assert stamp_ns("") is None and stamp_ns("tick 3") is None


async def test_waits_for_a_service_that_has_not_started_then_follows_it():
    starting = AgentNotFound("The agent refused Logs: no container for 'web' (not_found).")
    script = Script(
        [starting, starting, [FakeLine("hello", stamp(1))]],
        ["pending", "deploying", "failed"],
    )
    items = await collect(script)
    assert [type(i) for i in items] == [Notice, Line, Ended]
    assert items[0].text == "Waiting for web to start…"  # said once, not at every retry
    assert items[1].line.line == "hello" and items[2].text.startswith("The deployment failed")
    assert script.opens[:3] == [(0.0, 500)] * 3  # from the start: the service's first lines


async def test_resumes_after_a_restart_without_losing_or_repeating_lines():
    before = [FakeLine("a", stamp(1)), FakeLine("b", stamp(2)), FakeLine("c", stamp(2))]
    # Reopened `since` just before 10:00:02: Docker sends both lines of that second again.
    after = [FakeLine("b", stamp(2)), FakeLine("c", stamp(2)), FakeLine("d", stamp(2))]
    script = Script([before, after, NotFound("The deployment does not exist.")], ["running"] * 2)
    items = await collect(script)
    lines = [i for i in items if isinstance(i, Line)]
    assert [i.line.line for i in lines] == ["a", "b", "c", "d"]
    assert isinstance(items[3], Notice) and "stopped" in items[3].text
    since = script.opens[1][0]
    assert 0 < stamp_ns(stamp(2)) / 1e9 - since < 1e-5  # a hair before the last stamp
    assert lines[-1].id == f"{stamp_ns(stamp(2))}.3"  # the third line stamped 10:00:02


async def test_a_reconnecting_browser_resumes_from_its_last_event_id():
    cursor = Cursor.parse(f"{stamp_ns(stamp(2))}.1")
    script = Script(
        [[FakeLine("b", stamp(2)), FakeLine("c", stamp(2)), FakeLine("d", stamp(3))]],
        ["deleted"],
    )
    items = await collect(script, cursor)
    assert [i.line.line for i in items if isinstance(i, Line)] == ["c", "d"]
    assert script.opens[0][0] > 0


async def test_a_lost_agent_is_retried_and_said():
    script = Script(
        [AgentUnavailable("The agent of node 1 is not connected."), [FakeLine("x", stamp(1))]],
        ["offline", "deleting"],
    )
    items = await collect(script)
    assert items[0].text == "The agent of node 1 is not connected. Reconnecting…"
    assert items[1].line.line == "x" and isinstance(items[-1], Ended)


def test_cursor_ids_round_trip_and_junk_is_ignored():
    assert str(Cursor.parse("123.4")) == "123.4"
    assert Cursor.parse("x.1") is None and Cursor.parse(None) is None and Cursor.parse("5") is None
