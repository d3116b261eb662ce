"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendation).

Hashing costs tens to hundreds of milliseconds of CPU by design, so the async callers never
run it on the event loop (a dozen parallel sign-ins would stall every page and health check):
`hash_async` and `verify_async` run it on a small pool of threads (argon2 releases the GIL).
The pool is bounded and so is the queue in front of it: beyond that, callers are told to come
back in a moment instead of piling up work that would take minutes to get through.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import Throttled

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of "no such user"
# and "wrong password" alike, so the response does not reveal which one it was.
_DUMMY_HASH = _hasher.hash("shoal-timing-equaliser")

MIN_LENGTH = 8
MAX_LENGTH = 256

PARALLEL = 2  # threads hashing at once: about what one process should spend of a small host
MAX_QUEUED = 32  # hashes waiting or running; more than this and the caller is refused
T = TypeVar("T")


class _Pool:
    """A few threads for argon2 and a count of the work handed to them."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.in_flight = 0

    async def run(self, work: Callable[[], T]) -> T:
        with self._lock:
            if self.in_flight >= MAX_QUEUED:
                raise Throttled("Too many sign-ins at once. Try again in a moment.", 2)
            self.in_flight += 1
            if self._executor is None:
                self._executor = ThreadPoolExecutor(PARALLEL, thread_name_prefix="argon2")
            future = self._executor.submit(work)
        # Counted down when the thread is done, not when the caller stops waiting: a
        # cancelled request's hash still occupies its thread until it finishes.
        future.add_done_callback(self._done)
        return await asyncio.wrap_future(future)

    def _done(self, _: object) -> None:
        with self._lock:
            self.in_flight -= 1


_pool = _Pool()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


async def hash_async(password: str) -> str:
    return await _pool.run(lambda: hash_password(password))


async def verify_async(password_hash: str | None, password: str) -> bool:
    return await _pool.run(lambda: verify_password(password_hash, password))


def password_problem(password: str) -> str | None:
    if len(password) < MIN_LENGTH:
        return f"Password must be at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Password must be at most {MAX_LENGTH} characters."
    return None
