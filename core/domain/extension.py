"""How long "Extend" may keep a deployment: a choice of durations up to its cleanup period.

The cleanup period (the project's, else the environment's) is the longest a deployment may
live without activity, so an extension never goes beyond it; the default is all of it.
"""

from __future__ import annotations

from core.errors import InvalidInput

# The durations the page offers (hours); the period itself is always offered too.
STEPS = (1, 2, 4, 8, 24, 48, 72, 168, 336, 720)


def label(hours: int) -> str:
    """'1 hour', '8 hours', '1 day', '3 days', '1 week', '2 weeks' (days and weeks when exact)."""
    for size, unit in ((168, "week"), (24, "day"), (1, "hour")):
        if hours % size == 0:
            count = hours // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{hours} hours"


def choices(period: int) -> list[tuple[int, str]]:
    """(hours, label) from the shortest to the whole period, which comes last (the default)."""
    period = max(period, 1)
    return [(h, label(h)) for h in sorted({*(s for s in STEPS if s < period), period})]


def check_hours(hours: int | None, period: int) -> int:
    """The extension asked for, or the whole period when none is; refused outside 1..period."""
    period = max(period, 1)
    if hours is None:
        return period
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= period:
        raise InvalidInput(
            f"Extend by 1 to {period} hours ({label(period)}, this deployment's cleanup period).",
            "hours",
        )
    return hours
