"""A second dockerd of the test's own: its own data root, socket and network namespace (only a
loopback of its own), so 127.0.0.1 services of the test, such as the registry fixture, are out
of its reach. An agent started with `DOCKER_HOST=<.host>` is a node whose Docker cannot pull
from that registry, beside agents on the main dockerd that can.

Started with `unshare -n` (root, util-linux) and stopped by its pid; nothing else is touched.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

START_TIMEOUT_S = 30


@dataclass
class IsolatedDockerd:
    root: Path
    process: subprocess.Popen

    @property
    def host(self) -> str:
        return f"unix://{self.root / 'docker.sock'}"

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=60)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_isolated_dockerd() -> IsolatedDockerd:
    if not shutil.which("unshare") or not shutil.which("dockerd"):
        raise RuntimeError("unshare (util-linux) and dockerd are needed for a second dockerd")
    root = Path(tempfile.mkdtemp(prefix="shoal-isolated-dockerd-"))
    command = (
        "ip link set lo up && exec dockerd"
        f" --data-root {root / 'data'} --exec-root {root / 'exec'}"
        f" --pidfile {root / 'docker.pid'} -H unix://{root / 'docker.sock'}"
        " --bridge=none --iptables=false --ip6tables=false --ip-masq=false"
    )
    log = open(root / "dockerd.log", "ab")
    process = subprocess.Popen(["unshare", "-n", "sh", "-c", command], stdout=log, stderr=log)
    daemon = IsolatedDockerd(root, process)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            daemon.client().ping()
            return daemon
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                text = (root / "dockerd.log").read_text(errors="replace")[-2000:]
                daemon.stop()
                raise RuntimeError(f"the isolated dockerd did not start:\n{text}") from None
            time.sleep(0.2)
