"""Two real `shoal serve` processes on one database: only one holds the agent connection (seen
from the kernel's socket table), and when it is killed the other takes over within seconds."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core import crypto, runtime
from shoaltest.agent import REPO
from shoaltest.hub import add_node_with_agent, node_row, until
from shoaltest.ports import free_port


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def holders(pids: list[int], port: int) -> list[int]:
    """Which of `pids` have an established TCP connection to 127.0.0.1:`port`."""
    inodes = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        if state == "01" and int(remote.split(":")[1], 16) == port:
            inodes[inode] = True
    return [pid for pid in pids if _socket_inodes(pid) & inodes.keys()]


def start_serve(dsn: str, key: bytes, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "SHOAL_DATABASE_URL": dsn,
        "SHOAL_SECRET_KEY": crypto.encode_key(key),
        "SHOAL_BIND": f"127.0.0.1:{port}",
        "SHOAL_CADDY_ADMIN": "",
        "SHOAL_LOCAL_AGENT": "false",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--no-worker"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


async def _live(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"{url}/health/live", timeout=2)).status_code == 200
    except httpx.HTTPError:
        return False


async def test_two_serve_processes_one_connection_and_takeover(
    db, hub_env, agent_factory, tmp_path
):
    admin, env_id = hub_env
    key = crypto.generate_key()
    runtime.install(box=crypto.SecretBox(key))
    servers = [start_serve(db, key, tmp_path / f"serve{i}.log") for i in range(2)]
    pids = [process.pid for process, _ in servers]
    try:
        for _, url in servers:
            await until(lambda url=url: _live(url), 30, every=0.2)
        node, agent = await add_node_with_agent(agent_factory, admin, env_id)

        async def one_holder() -> list[int]:
            found = holders(pids, agent.port)
            row = await node_row(node.id)
            return found if len(found) == 1 and row["status"] == "online" else []

        leader = (await until(one_holder, 30, every=0.2))[0]
        await asyncio.sleep(2)  # the follower keeps its hands off
        assert holders(pids, agent.port) == [leader]
        os.kill(leader, signal.SIGKILL)
        started = time.monotonic()
        other = next(pid for pid in pids if pid != leader)

        async def taken_over() -> bool:
            return holders([other], agent.port) == [other]

        await until(taken_over, 15, every=0.1)
        took = time.monotonic() - started
        print(f"serve process killed → the other holds the agent connection in {took:.2f} s")
        assert took < 5
        assert (await node_row(node.id))["status"] == "online"
    finally:
        for process, _ in servers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.to_thread(process.wait, 15)
                except subprocess.TimeoutExpired:
                    process.kill()
        for i in range(2):
            log = (tmp_path / f"serve{i}.log").read_text(errors="replace")
            assert "Traceback" not in log or "KeyboardInterrupt" in log, log[-3000:]
