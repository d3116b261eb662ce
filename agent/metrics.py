"""Node metrics: capacity, OS-level usage from /proc and the data dir's disk, and each
deployment's container usage (from Docker stats). Sent with heartbeats and on request."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from agent.engine import Engine
from agent.protocol import DeploymentUsage, Limits, NodeCapacity, NodeMetrics, ServiceUsage
from agent.runtime import DockerUnavailable
from agent.store import DeploymentRecord, Store

LIVE = ("deploying", "running")


def read_cpu_times(path: str = "/proc/stat") -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs."""
    with open(path) as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user/nice
    return total - idle, total


def read_meminfo(path: str = "/proc/meminfo") -> dict[str, int]:
    """Values in kB."""
    values = {}
    with open(path) as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            values[name] = int(rest.split()[0])
    return values


class Metrics:
    def __init__(self, engine: Engine, store: Store, data_dir: Path) -> None:
        self.engine, self.store, self.data_dir = engine, store, data_dir
        self.previous_cpu = read_cpu_times()

    def capacity(self) -> NodeCapacity:
        memory_kb = read_meminfo().get("MemTotal", 0)
        return NodeCapacity(cpus=float(os.cpu_count() or 1), memory_mb=memory_kb // 1024)

    def cpu_busy_percent(self) -> float:
        busy, total = read_cpu_times()
        before_busy, before_total = self.previous_cpu
        self.previous_cpu = (busy, total)
        if total <= before_total:
            return 0.0
        return round((busy - before_busy) / (total - before_total) * 100.0, 1)

    async def collect(self, *, per_deployment: bool = True) -> NodeMetrics:
        disk = os.statvfs(self.data_dir)
        records = [r for r in self.store.all() if r.status in LIVE]
        allocated = Limits(
            cpu=round(sum(r.spec.limits.cpu for r in records), 3),
            memory_mb=sum(r.spec.limits.memory_mb for r in records),
        )
        available = await self.engine.ping()
        usage = await self._deployment_usage(records) if available and per_deployment else {}
        return NodeMetrics(
            capacity=self.capacity(),
            cpu_busy_percent=self.cpu_busy_percent(),
            memory_available_mb=read_meminfo().get("MemAvailable", 0) // 1024,
            disk_total_mb=disk.f_blocks * disk.f_frsize // 2**20,
            disk_free_mb=disk.f_bavail * disk.f_frsize // 2**20,
            docker="ok" if available else "unavailable",
            docker_version=self.engine.version if available else "",
            allocated=allocated,
            deployments=usage,
        )

    async def _deployment_usage(
        self, records: list[DeploymentRecord]
    ) -> dict[int, DeploymentUsage]:
        try:
            containers = await self.engine.list_own()
            running = [c for c in containers if c.state == "running" and c.deployment_id]
            sampled = await self.engine.usage([c.id for c in running])
            traffic = await self.engine.net_bytes([c.id for c in running])
        except DockerUnavailable:
            return {}
        totals: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
        services: dict[int, dict[str, ServiceUsage]] = defaultdict(dict)
        net_bytes: dict[int, int] = {}
        for container in running:
            if container.id in traffic and container.deployment_id is not None:
                net_bytes[container.deployment_id] = (
                    net_bytes.get(container.deployment_id, 0) + traffic[container.id]
                )
            usage = sampled.get(container.id)
            if usage is None or container.deployment_id is None:
                continue
            entry = totals[container.deployment_id]
            entry[0] += 1
            entry[1] += usage.cpu_percent
            entry[2] += usage.memory_mb
            if container.step:  # one container per service: its pipeline node id
                services[container.deployment_id][container.step] = ServiceUsage(
                    cpu_percent=usage.cpu_percent, memory_mb=usage.memory_mb
                )
        return {
            record.spec.id: DeploymentUsage(
                containers=int(totals[record.spec.id][0]),
                cpu_percent=round(totals[record.spec.id][1], 2),
                memory_mb=round(totals[record.spec.id][2], 1),
                limits=record.spec.limits,
                services=services.get(record.spec.id, {}),
                net_bytes=net_bytes.get(record.spec.id),
            )
            for record in records
        }
