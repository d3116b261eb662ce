"""A dockerd of the test's own, to stop and start in the middle of a test (a node reboot)
without touching the system's daemon.

Everything it keeps is under one temporary directory: data root, exec root (its own
containerd), pid file, unix socket, an empty config file (so /etc/docker/daemon.json, if any,
is not read). Its default bridge is a bridge of its own (`--bridge=<ours>`), made before it
starts and removed after: a dockerd started with `--bridge=none` deletes the host's `docker0`
(moby's removeDefaultBridgeInterface), which breaks every later `docker build` with a RUN step on
the system daemon. It writes no iptables rules, so the system daemon's chains stay as they are:
containers talk over the user-defined networks the agent creates (`subnet_pool`: a block no
route of the host uses, for the agent's --subnet-pool) and publish through docker-proxy.
Images come from the system daemon (`docker save | docker load`): nothing is pulled. Only the
processes it started are stopped, by pid.

    with OwnDockerd() as dockerd:
        dockerd.load("shoal-test/busybox:latest")
        dockerd.stop(); dockerd.start()        # the reboot
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import docker

from shoaltest.docker import DOCKER_CLI

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60


class OwnDockerd:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="shoal-dockerd-"))
        self.socket = self.root / "docker.sock"
        self.log_path = self.root / "dockerd.log"
        (self.root / "daemon.json").write_text("{}\n")
        self.process: subprocess.Popen | None = None
        self.bridge = f"shoalbr{secrets.token_hex(3)}"  # at most 15 characters
        self.bridge_net = unused_pool(prefix=24)
        self.subnet_pool = str(unused_pool(avoid=self.bridge_net))

    @property
    def host(self) -> str:
        """What DOCKER_HOST (or `docker -H`) takes."""
        return f"unix://{self.socket}"

    def __enter__(self) -> OwnDockerd:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        self._make_bridge()
        args = [
            "dockerd",
            f"--config-file={self.root / 'daemon.json'}",
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.root / 'exec'}",
            f"--pidfile={self.root / 'docker.pid'}",
            f"--host={self.host}",
            f"--bridge={self.bridge}",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-masq=false",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"own dockerd did not come up:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, as a host shutting down sends: dockerd stops every container first."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            self._kill_own_containerd()

    def close(self) -> None:
        self.stop()
        self._kill_own_containerd()  # only if one outlived its dockerd
        for mount in self._mounts():  # left by a daemon that did not stop cleanly
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)

    def _make_bridge(self) -> None:
        if Path(f"/sys/class/net/{self.bridge}").exists():
            return  # a restart keeps it
        address = f"{self.bridge_net[1]}/{self.bridge_net.prefixlen}"
        for command in (
            ["ip", "link", "add", "name", self.bridge, "type", "bridge"],
            ["ip", "addr", "add", address, "dev", self.bridge],
            ["ip", "link", "set", self.bridge, "up"],
        ):
            subprocess.run(command, capture_output=True, check=True)

    def answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            client = docker.DockerClient(base_url=self.host, timeout=5)
        except docker.errors.DockerException:
            return False
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()

    def client(self) -> contextlib.closing[docker.DockerClient]:
        """`with dockerd.client() as client:` a client of this daemon, closed afterwards."""
        return contextlib.closing(docker.DockerClient(base_url=self.host, timeout=120))

    def load(self, *images: str) -> None:
        """Copy images from the system daemon into this one."""
        save = subprocess.Popen([DOCKER_CLI, "save", *images], stdout=subprocess.PIPE)
        try:
            subprocess.run(
                [DOCKER_CLI, "-H", self.host, "load", "-q"],
                stdin=save.stdout,
                check=True,
                capture_output=True,
                timeout=120,
            )
        finally:
            if save.stdout is not None:
                save.stdout.close()
            save.wait(timeout=120)
        if save.returncode != 0:
            raise RuntimeError(f"docker save {' '.join(images)} failed ({save.returncode})")

    def log_tail(self, size: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-size:] if self.log_path.exists() else ""

    def _kill_own_containerd(self) -> None:
        pid_file = self.root / "exec" / "containerd" / "containerd.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:  # the containerd this dockerd started (its exec root is ours alone)
            if str(self.root) in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                os.kill(pid, signal.SIGKILL)
        except (OSError, ProcessLookupError):
            pass

    def _mounts(self) -> list[str]:
        try:
            lines = Path("/proc/self/mounts").read_text().splitlines()
        except OSError:
            return []
        mounts = [line.split()[1] for line in lines if len(line.split()) > 1]
        return sorted((m for m in mounts if m.startswith(str(self.root))), reverse=True)


def unused_pool(
    prefix: int = 23, avoid: ipaddress.IPv4Network | None = None
) -> ipaddress.IPv4Network:
    """A private block inside 10.240.0.0/12 that no route of this host overlaps (the system
    daemon's bridges and other tests' networks are routes too)."""
    routed = []
    for line in Path("/proc/net/route").read_text().splitlines()[1:]:
        fields = line.split()
        destination, mask = (ipaddress.IPv4Address(bytes.fromhex(f)[::-1]) for f in fields[1:8:6])
        if int(destination):
            routed.append(ipaddress.IPv4Network(f"{destination}/{mask}", strict=False))
    blocks = list(ipaddress.ip_network("10.240.0.0/12").subnets(new_prefix=prefix))
    random.shuffle(blocks)
    for block in blocks:
        if not any(block.overlaps(net) for net in routed) and not (avoid and block.overlaps(avoid)):
            return block
    raise RuntimeError("no free private block for the test's dockerd")
