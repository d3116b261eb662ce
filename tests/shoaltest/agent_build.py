"""Fixture `built_agent`: waits for the agent build that `make test` runs next to the suite.

build/test.sh starts `make agent` (Nuitka, minutes when cold) in the background, writes its
output to build/out/agent-build.log and, when it ends, its exit code to the file named by
SHOAL_AGENT_BUILD_STATUS. The tests that use the built executable or image take this fixture;
they are moved to the end of the run, so everything else runs while the build does. Without
SHOAL_AGENT_BUILD_STATUS (a plain `pytest`) the fixture waits for nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

# Generous: a cold build takes ~12 min on 2 idle cores, longer next to the suite.
TIMEOUT_S = float(os.environ.get("SHOAL_AGENT_BUILD_TIMEOUT", 3600))
LOG_TAIL_LINES = 40


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A stable sort: the browser journeys, whose waits are timed, run after everything else,
    # by when the background build has usually finished taking the CPU; the tests that wait
    # for the build go last. Everything else keeps its order.
    items.sort(
        key=lambda item: (
            "built_agent" in getattr(item, "fixturenames", ()),
            "e2e" in Path(str(item.path)).parts,
        )
    )


def log_tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"(no build log at {log})"
    return "\n".join(lines[-LOG_TAIL_LINES:])


def exit_code(status: Path) -> str | None:
    return status.read_text().strip() if status.exists() else None


@pytest.fixture(scope="session")
async def built_agent() -> None:
    status_path = os.environ.get("SHOAL_AGENT_BUILD_STATUS")
    if not status_path:
        return
    status, log = Path(status_path), Path(status_path).with_suffix(".log")
    deadline = time.monotonic() + TIMEOUT_S
    # Awaiting keeps the session's event loop (and what runs on it) going meanwhile.
    while (code := await asyncio.to_thread(exit_code, status)) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"the agent build did not finish within {TIMEOUT_S:g} s:\n{log_tail(log)}")
        await asyncio.sleep(2)
    if code != "0":
        pytest.fail(f"the agent build failed (exit {code}), end of {log}:\n{log_tail(log)}")
