"""When a deployment counts as idle (issue 20). Pure: settings and timestamps in, answers out.

The idle period is the project's `idle_minutes` when set (0 = never sleep), else the
environment's (None or 0 = never). A deployment is idle when nothing was seen of it since the
later of its last traffic and its last status change (it became running or woke then), for
the whole period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.errors import InvalidInput

MAX_IDLE_MINUTES = 60 * 24 * 365
"""A year: longer is refused as a typo (a deployment's auto-cleanup comes long before)."""


def idle_minutes(environment: int | None, project: int | None) -> int:
    """The period that applies; 0 = never put to sleep for idleness."""
    chosen = project if project is not None else environment
    return max(chosen or 0, 0)


def idle_since(last_active_at: datetime | None, status_since: datetime) -> datetime:
    return status_since if last_active_at is None else max(last_active_at, status_since)


def is_idle(now: datetime, since: datetime, minutes: int) -> bool:
    return minutes > 0 and now - since >= timedelta(minutes=minutes)


def parse_minutes(text: str | None) -> int | None:
    """A form's idle period: empty = None (not set); anything but a whole number is refused."""
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput("Enter a whole number of minutes.", "idle_minutes") from None


def check_minutes(value: int | None) -> int | None:
    problem = idle_problem(value)
    if problem is not None:
        raise InvalidInput(problem, "idle_minutes")
    return value


def idle_problem(value: int | None) -> str | None:
    """Why a submitted idle period is refused, or None."""
    if value is None:
        return None
    if value < 0:
        return "The idle period cannot be negative (0 = never sleep)."
    if value > MAX_IDLE_MINUTES:
        return f"The idle period can be at most {MAX_IDLE_MINUTES} minutes (a year)."
    return None
