"""Follow one service's log through what interrupts it: a service that has no container yet
(its deployment is still starting), a container that stops or restarts, an agent link that
drops. The viewer is told what it is waiting for instead of being told the stream ended.

Docker stamps every line (RFC 3339, nanoseconds). A stream reopens `since` the last stamp
delivered (Docker keeps lines at or after it) and skips the lines already delivered with that
very stamp, so nothing is lost and nothing shown twice. The position travels to the browser
as each event's id: EventSource sends it back as Last-Event-ID when it reconnects, and the
stream resumes from there as well.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any

from core.errors import AgentUnavailable, ShoalError
from core.hub import AgentNotFound

# The deployment will not run this service again: stop following. Anything else (starting,
# running, offline, asleep…) may bring it back, so the follower keeps waiting.
FINAL = {
    "failed": "The deployment failed",
    "deleting": "The deployment is being deleted",
    "deleted": "The deployment was deleted",
}
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 3.0)
STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")

OpenStream = Callable[[float, int], AsyncIterator[Any]]  # (since, tail) -> agent LogLines
ReadStatus = Callable[[], Awaitable[str]]


class Cursor:
    """Where a follower is: the stamp of the last line delivered (ns since the epoch) and how
    many lines carried exactly that stamp."""

    def __init__(self, ns: int = 0, count: int = 0) -> None:
        self.ns, self.count = ns, count
        self._skip = count  # lines at `ns` a reopened stream repeats, to be dropped

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """From an event id ("<ns>.<count>"); None for anything else."""
        ns, _, count = (text or "").partition(".")
        if not (ns.isdigit() and count.isdigit()):
            return None
        return cls(int(ns), int(count))

    def __str__(self) -> str:
        return f"{self.ns}.{self.count}"

    @property
    def since(self) -> float:
        """Docker's `since` for reopening: a microsecond early, as a float loses nanoseconds;
        what that brings back twice is skipped by `admit`."""
        return max(self.ns - 1000, 1) / 1e9 if self.ns else 0.0

    def reopen(self) -> None:
        self._skip = self.count

    def admit(self, ns: int | None) -> bool:
        """Whether a line stamped `ns` is new (and move past it). Unstamped lines always are."""
        if ns is None:
            return True
        if ns < self.ns:
            return False
        if ns == self.ns:
            if self._skip > 0:
                self._skip -= 1
                return False
            self.count += 1
            return True
        self.ns, self.count, self._skip = ns, 1, 0
        return True


_seconds_cache: dict[str, int] = {}


def stamp_ns(text: str) -> int | None:
    """Nanoseconds since the epoch of a Docker stamp; None when there is none."""
    match = STAMP.fullmatch(text) if text else None
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    key = whole + zone
    seconds = _seconds_cache.get(key)
    if seconds is None:  # thousands of lines share a second: parse it once
        offset = "+00:00" if zone == "Z" else zone
        seconds = int(datetime.fromisoformat(whole + offset).timestamp())
        if len(_seconds_cache) > 1000:
            _seconds_cache.clear()
        _seconds_cache[key] = seconds
    return seconds * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))


class Line:
    def __init__(self, line: Any, cursor: Cursor) -> None:
        self.line, self.id = line, str(cursor)


class Notice:
    """What the follower waits for, in words for the viewer."""

    def __init__(self, text: str) -> None:
        self.text = text


class Ended:
    def __init__(self, text: str) -> None:
        self.text = text


async def follow(
    open_stream: OpenStream,
    read_status: ReadStatus,
    service: str,
    tail: int,
    resume: Cursor | None = None,
) -> AsyncIterator[Line | Notice | Ended]:
    cursor = resume or Cursor()
    attempt, said = 0, ""
    while True:
        try:
            async for line in open_stream(cursor.since, tail):
                if cursor.admit(stamp_ns(line.time)):
                    attempt, said = 0, ""
                    yield Line(line, cursor)
            waiting = f"{service} stopped; following again when it restarts…"
        except AgentNotFound:
            waiting = f"Waiting for {service} to start…"
        except AgentUnavailable as error:
            waiting = f"{error.detail} Reconnecting…"
        except ShoalError as error:
            yield Ended(error.detail)
            return
        try:
            status = await read_status()
        except ShoalError as error:
            yield Ended(error.detail)
            return
        if status in FINAL:
            yield Ended(f"{FINAL[status]}: {service} will not run again.")
            return
        if waiting != said:
            said = waiting
            yield Notice(waiting)
        await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
        attempt += 1
        cursor.reopen()
