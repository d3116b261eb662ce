"""Per-container CPU and memory usage from Docker's one-shot stats.

One-shot stats carry no previous sample, so CPU use is the delta against the sample this module
kept from the last call (the first call for a container reports 0 %).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from agent.runtime import Docker

THREADS = 8


@dataclass
class Usage:
    cpu_percent: float  # 100 = one full CPU
    memory_mb: float


class ContainerStats:
    def __init__(self, docker_: Docker) -> None:
        self.docker = docker_
        self.previous: dict[str, tuple[int, int]] = {}

    def sample(self, container_ids: list[str]) -> dict[str, Usage]:
        """Blocking; call on a worker thread."""
        if not container_ids:
            self.previous.clear()
            return {}
        with ThreadPoolExecutor(min(THREADS, len(container_ids))) as pool:
            raw = dict(zip(container_ids, pool.map(self._one, container_ids), strict=True))
        usage = {}
        for container_id, stats in raw.items():
            if stats is None:
                continue
            cpu = stats.get("cpu_stats") or {}
            total = int((cpu.get("cpu_usage") or {}).get("total_usage") or 0)
            system = int(cpu.get("system_cpu_usage") or 0)
            cpus = int(cpu.get("online_cpus") or 1)
            before = self.previous.get(container_id)
            self.previous[container_id] = (total, system)
            percent = 0.0
            if before and system > before[1]:
                percent = (total - before[0]) / (system - before[1]) * cpus * 100.0
            memory = stats.get("memory_stats") or {}
            used = int(memory.get("usage") or 0) - _cache(memory)
            usage[container_id] = Usage(round(max(percent, 0.0), 2), round(max(used, 0) / 2**20, 1))
        for gone in set(self.previous) - set(container_ids):
            del self.previous[gone]
        return usage

    def _one(self, container_id: str) -> dict | None:
        try:
            return self.docker.run(lambda c: c.api.stats(container_id, stream=False, one_shot=True))
        except Exception:  # a container that just went away has no stats
            return None


def _cache(memory: dict) -> int:
    stats = memory.get("stats") or {}
    # cgroup v1 reports page cache in "cache", v2 in "inactive_file"; docker CLI subtracts it too.
    return int(
        stats.get("total_inactive_file") or stats.get("inactive_file") or stats.get("cache") or 0
    )
