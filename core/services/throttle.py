"""Login throttling: too many failures for one username from one address, or from one
address over all usernames, → Throttled.

Never per username alone: that would let anyone lock a colleague (or every admin) out for the
whole window by typing wrong passwords under their name. Counted in PostgreSQL so that several
`serve` processes share one view.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.domain.login import LoginLimits
from core.errors import Throttled
from core.tables import LoginFailure

ADDRESS_FACTOR = 4  # one office behind one NAT address: allow a few users' worth of typos


async def check(username: str, address: str, limits: LoginLimits) -> None:
    since = datetime.now(UTC) - limits.window
    by_name = (
        await LoginFailure.count()
        .where(
            (LoginFailure.username == username)
            & (LoginFailure.address == address[:64])
            & (LoginFailure.at > since)
        )
        .run()
    )
    by_address = (
        await LoginFailure.count()
        .where((LoginFailure.address == address[:64]) & (LoginFailure.at > since))
        .run()
    )
    most = limits.max_failures
    if by_name >= most or by_address >= most * ADDRESS_FACTOR:
        minutes = int(limits.window.total_seconds() // 60)
        raise Throttled(
            f"Too many failed sign-in attempts. Try again in {minutes} minutes.",
            retry_after=int(limits.window.total_seconds()),
        )


async def record_failure(username: str, address: str, limits: LoginLimits) -> None:
    await LoginFailure.insert(LoginFailure(username=username, address=address[:64])).run()
    # Old rows are worthless; trimming here keeps the table small without a cron job.
    await LoginFailure.delete().where(LoginFailure.at < datetime.now(UTC) - 2 * limits.window).run()


async def clear(username: str, address: str) -> None:
    """A success forgets this address's failures for the user, not those of other places."""
    await (
        LoginFailure.delete()
        .where((LoginFailure.username == username) & (LoginFailure.address == address[:64]))
        .run()
    )
