"""The syncer against a fake admin API (httpx.MockTransport) and a fake route source."""

import asyncio

import httpx
import msgspec
import pytest

from core.ingress.caddy import CaddyAdmin
from core.ingress.config import IngressOptions
from core.ingress.routes import Route, RouteTable
from core.ingress.syncer import IngressSyncer

OPTIONS = IngressOptions(listen=":8880", tls_listen=":8881", public_url="http://shoal")


class FakeCaddy:
    def __init__(self) -> None:
        self.config: dict | None = None
        self.loads = 0
        self.gets = 0
        self.fail_with: int | None = None
        self.down = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.fail_with:
            return httpx.Response(self.fail_with, json={"error": "loading config: bad listener"})
        if request.method == "GET" and request.url.path == "/config/":
            self.gets += 1
            return httpx.Response(200, content=msgspec.json.encode(self.config))
        if request.method == "POST" and request.url.path == "/load":
            self.loads += 1
            self.config = msgspec.json.decode(request.content)
            return httpx.Response(200)
        return httpx.Response(404, json={"error": "unknown path"})


class FakeSource:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.error: Exception | None = None
        self.reads = 0

    async def __call__(self) -> RouteTable:
        self.reads += 1
        if self.error:
            raise self.error
        return RouteTable(list(self.routes), [])


def make(owns: bool = False, **kwargs) -> tuple[IngressSyncer, FakeCaddy, FakeSource]:
    caddy, source = FakeCaddy(), FakeSource()
    admin = CaddyAdmin("http://127.0.0.1:2999", transport=httpx.MockTransport(caddy.handle))
    syncer = IngressSyncer(admin, OPTIONS, owns_caddy=owns, load_table=source, **kwargs)
    return syncer, caddy, source


def route(name: str) -> Route:
    return Route(host=f"web.{name}.qa.x", upstream="h:1", deployment_id=1, deployment_name=name)


async def test_first_sync_loads_admin_block_and_routes():
    syncer, caddy, source = make(owns=True)
    source.routes = [route("a")]
    status = await syncer.sync_now()
    assert caddy.loads == 1 and status.loads == 1
    assert caddy.config["admin"] == {"listen": "127.0.0.1:2999", "config": {"persist": False}}
    assert status.route_count == 1 and status.reachable is True and status.last_error == ""
    assert status.last_sync_at is not None and status.last_load_ms is not None


async def test_own_caddy_skips_reading_when_nothing_changed_but_checks_read():
    syncer, caddy, _source = make(owns=True)
    await syncer.sync_now()
    gets = caddy.gets
    await syncer.sync_now(check=False)
    assert (caddy.gets, caddy.loads) == (gets, 1)
    caddy.config = {"admin": caddy.config["admin"]}  # Caddy restarted with an empty config
    await syncer.sync_now(check=True)
    assert caddy.loads == 2 and "shoal" in caddy.config["apps"]["http"]["servers"]


async def test_unreachable_and_refusing_caddy_are_reported_not_raised():
    syncer, caddy, _source = make()
    caddy.down = True
    status = await syncer.sync_now()
    assert status.reachable is False and "unreachable" in status.last_error
    caddy.down, caddy.fail_with = False, 400
    status = await syncer.sync_now()
    assert status.reachable is True
    assert status.last_error == "Caddy refused GET /config/ (400): loading config: bad listener"
    caddy.fail_with = None
    status = await syncer.sync_now()
    assert status.last_error == "" and caddy.loads == 1


async def test_database_errors_are_reported_and_the_loop_survives():
    syncer, caddy, source = make(check_interval=0.01)
    source.error = OSError("connection refused")
    await syncer.start()
    await asyncio.sleep(0.1)
    assert "Could not read the route table" in syncer.status.last_error
    assert source.reads > 2 and not syncer._task.done()
    source.error = None
    await asyncio.sleep(0.1)
    assert syncer.status.last_error == "" and caddy.loads == 1
    await syncer.stop()


async def test_many_requests_become_one_pass():
    syncer, caddy, source = make(owns=True, check_interval=60)
    await syncer.start()
    await asyncio.sleep(0.05)
    reads = source.reads
    source.routes = [route(f"d{i}") for i in range(5)]
    for _ in range(100):
        syncer.request_sync()
    await asyncio.sleep(0.1)
    assert source.reads == reads + 1 and caddy.loads == 2
    await syncer.stop()


async def test_request_sync_from_another_thread_wakes_the_loop():
    syncer, caddy, source = make(owns=True, check_interval=60)
    await syncer.start()
    await asyncio.sleep(0.05)
    source.routes = [route("t")]
    await asyncio.to_thread(syncer.request_sync)
    await asyncio.sleep(0.1)
    assert caddy.loads == 2
    await syncer.stop()


def test_request_sync_before_start_is_a_no_op():
    syncer, _, _ = make()
    syncer.request_sync()


@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json"])
async def test_a_strange_config_answer_is_an_error(body):
    admin = CaddyAdmin(
        "http://127.0.0.1:2999",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)),
    )
    syncer = IngressSyncer(admin, OPTIONS, load_table=FakeSource())
    status = await syncer.sync_now()
    assert status.last_error.startswith("Caddy answered /config/ with")


async def test_an_unexpected_error_is_recorded_and_syncing_goes_on():
    syncer, caddy, source = make(owns=True, check_interval=0.01)
    source.routes = ["not a route"]  # build_owned will fail on it
    await syncer.start()
    await asyncio.sleep(0.1)
    assert syncer.status.last_error.startswith("Unexpected error while syncing the ingress")
    source.routes = [route("ok")]
    await asyncio.sleep(0.1)
    assert syncer.status.last_error == "" and caddy.loads == 1
    await syncer.stop()
