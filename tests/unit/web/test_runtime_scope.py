"""Each app's requests run with that app's runtime, a test's own runtime wins for in-process
requests, and nothing a request enters outlives it (core/runtime.py, web/runtime_scope.py)."""

from __future__ import annotations

import asyncio
import contextvars

import httpx
from litestar import Litestar, get
from litestar.datastructures import State

from core import runtime
from core.settings import Settings
from web.runtime_scope import RuntimeScope


@get("/url", sync_to_thread=False)
def public_url() -> str:
    return runtime.settings().public_url  # what a core service deep below would read


def app_for(url: str) -> Litestar:
    made = runtime.Runtime.from_settings(Settings(public_url=url))
    return Litestar([public_url], middleware=[RuntimeScope()], state=State({"runtime": made}))


async def fetch(app: Litestar) -> str:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return (await client.get("/url")).text


def in_fresh_context(coro):  # a task that starts with no runtime, as uvicorn's requests do
    return asyncio.create_task(coro, context=contextvars.Context())


async def test_two_apps_in_one_process_each_see_their_own_runtime():
    first, second = app_for("http://first.test"), app_for("http://second.test")

    async def both() -> tuple[str, str, object]:
        return await fetch(first), await fetch(second), runtime.current()

    assert await in_fresh_context(both()) == ("http://first.test", "http://second.test", None)


async def test_a_tests_own_runtime_wins_and_ends_with_its_task():
    app = app_for("http://app.test")

    async def with_own() -> str:
        runtime.install(settings=Settings(public_url="http://mine.test"))
        return await fetch(app)

    async def without() -> str:
        return await fetch(app)

    assert await in_fresh_context(with_own()) == "http://mine.test"
    assert await in_fresh_context(without()) == "http://app.test"


async def test_install_copies_the_current_runtime_and_changes_only_what_it_names():
    async def scenario() -> None:
        base = runtime.Runtime.from_settings(Settings(public_url="http://base.test"))
        runtime.enter(base)
        changed = runtime.install(queue="a queue")
        assert changed is not base and base.queue is None
        assert runtime.current() is changed and runtime.settings().public_url == "http://base.test"
        child = asyncio.create_task(asyncio.sleep(0, result=runtime.current()))
        assert await child is changed  # tasks started now inherit it

    await in_fresh_context(scenario())
    assert runtime.current() is None or runtime.current().queue != "a queue"
