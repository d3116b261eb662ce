"""Bytes each container has sent and received, for idle detection (issue 20).

Read from /proc/<pid>/net/dev of the container's init process: that file shows the counters of
the container's own network namespace, costs one small file read, and needs no Docker call
once the pid is known (`docker stats` takes about a second per container). The loopback
interface is left out, so a container talking to itself (a Docker HEALTHCHECK, a worker
polling its own port) is not traffic. The pid is looked up once per container and checked
against /proc/<pid>/cgroup on every read, so a restarted container (new pid) or a reused pid
is noticed and looked up again.

An agent that cannot see the host's processes (run in a container without `--pid=host`)
finds no /proc/<pid>: it reports no counters, and idle detection falls back to ingress
requests only.
"""

from __future__ import annotations

from pathlib import Path

from agent.runtime import Docker

PROC = Path("/proc")


def bytes_of_net_dev(text: str) -> int:
    """Received + transmitted bytes over every interface but `lo`, from a net/dev file."""
    total = 0
    for line in text.splitlines()[2:]:  # two header lines
        name, _, counters = line.partition(":")
        fields = counters.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        total += int(fields[0]) + int(fields[8])  # rx bytes, tx bytes
    return total


class NetCounters:
    def __init__(self, docker_: Docker, proc: Path = PROC) -> None:
        self.docker, self.proc = docker_, proc
        self.pids: dict[str, int] = {}

    def read(self, container_ids: list[str]) -> dict[str, int]:
        """Blocking; call on a worker thread. Containers it cannot read are left out."""
        found = {}
        for container_id in container_ids:
            value = self._read_one(container_id)
            if value is not None:
                found[container_id] = value
        for gone in set(self.pids) - set(container_ids):
            del self.pids[gone]
        return found

    def _read_one(self, container_id: str) -> int | None:
        pid = self.pids.get(container_id)
        if pid is None or not self._belongs(pid, container_id):
            pid = self._lookup(container_id)
            if pid is None or not self._belongs(pid, container_id):
                self.pids.pop(container_id, None)
                return None
            self.pids[container_id] = pid
        try:
            return bytes_of_net_dev((self.proc / str(pid) / "net" / "dev").read_text())
        except (OSError, ValueError):
            self.pids.pop(container_id, None)
            return None

    def _belongs(self, pid: int, container_id: str) -> bool:
        try:
            return container_id in (self.proc / str(pid) / "cgroup").read_text()
        except OSError:
            return False

    def _lookup(self, container_id: str) -> int | None:
        try:
            attrs = self.docker.run(lambda c: c.api.inspect_container(container_id))
        except Exception:  # gone meanwhile, or the daemon is away: no counters this time
            return None
        pid = int((attrs.get("State") or {}).get("Pid") or 0)
        return pid or None
