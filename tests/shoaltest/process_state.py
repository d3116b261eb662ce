"""Process-wide state a test may set (the job queue and settings in `core.context`) is put
back as each test found it, so a queue one test closed is never used by the next: a web test
that sends a notification would otherwise enqueue on a dead pool and answer 500, depending only
on which tests ran before it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core import context


@pytest.fixture(autouse=True)
def _restore_core_context() -> Iterator[None]:
    saved = (context._settings, context._queue)
    yield
    context._settings, context._queue = saved
