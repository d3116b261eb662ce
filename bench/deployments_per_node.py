"""How many deployments a 24 GB node holds with half of them asleep, against today's capacity
check without sleep (issue 20).

    python bench/deployments_per_node.py [--node-gb 24] [--node-cpus 8] [--cpu 0.5]
                                         [--memory-mb 2048] [--host-mb 1024]

What is real: an embedded PostgreSQL with Shoal's migrated schema; the node, project and
deployment rows; the placement decision, made by the same code a new deployment goes through
(`core.services.scheduling.choose_node_locked` inside a transaction: the node's row lock, the
live-status sums in SQL, `core.domain.capacity`); the rule that a `sleeping` deployment's
limits do not count as allocated.

What is simulated: the node (no agent runs; its heartbeat figures are written into its row:
`--node-cpus` CPUs, `--node-gb` of memory, `--host-mb` used outside Shoal, and every running
deployment using its whole memory limit, the worst case; a sleeping one uses nothing, as its
containers are stopped), and the moves to `sleeping`, written to the rows as the agent's
report would leave them (no containers run, so nothing has to stop).

Each round places deployments until the capacity check refuses one, then puts the oldest
running ones to sleep until half of all are asleep, and again, until no round adds one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core import db  # noqa: E402
from core.errors import CapacityExceeded  # noqa: E402


async def _seed(node_mb: int, node_cpus: float, cpu: float, memory_mb: int) -> tuple[int, int]:
    env = (
        await db.fetch(
            "INSERT INTO environments (name, description, base_domain, cleanup_hours, tls_mode,"
            " created_at) VALUES ('qa', '', 'qa.test', 168, 'off', now()) RETURNING id"
        )
    )[0]["id"]
    project = (
        await db.fetch(
            "INSERT INTO projects (name, description, cpu, memory_mb, created_at)"
            " VALUES ('shop', '', $1, $2, now()) RETURNING id",
            cpu,
            memory_mb,
        )
    )[0]["id"]
    await db.fetch(
        "INSERT INTO pipeline_versions (project, version, graph, message, created_at)"
        ' VALUES ($1, 1, \'{"nodes": [], "edges": [], "layout": {}}\', \'\', now())',
        project,
    )
    capacity = json.dumps({"cpus": node_cpus, "memory_mb": node_mb})
    node = (
        await db.fetch(
            "INSERT INTO nodes (environment, name, host, port, status, enabled, schedulable,"
            " cpu_reserve, cpu_overcommit, capacity, usage, created_at)"
            " VALUES ($1, 'node-24g', '127.0.0.1', 5000, 'online', true, true, 0.5, 1.0,"
            " $2::jsonb, '{}'::jsonb, now()) RETURNING id",
            env,
            capacity,
        )
    )[0]["id"]
    return env, node


async def _heartbeat(node: int, node_mb: int, host_mb: int) -> None:
    """What the node's agent would report: memory used = outside Shoal + running limits."""
    used = (
        await db.fetch(
            "SELECT COALESCE(SUM(memory_mb), 0) AS mb FROM deployments"
            " WHERE node = $1 AND status = 'running'",
            node,
        )
    )[0]["mb"]
    usage = json.dumps({"memory_available_mb": max(node_mb - host_mb - int(used), 0)})
    await db.fetch("UPDATE nodes SET usage = $1::jsonb WHERE id = $2", usage, node)


async def _place(env: int, cpu: float, memory_mb: int, count: int) -> bool:
    """One new deployment through the real placement, or False when the check refuses it."""
    from core.services.scheduling import choose_node_locked
    from core.tables import Deployment

    async with Deployment._meta.db.transaction():
        try:
            node = await choose_node_locked(env, cpu, memory_mb)
        except CapacityExceeded:
            return False
        # On the transaction's own connection: it holds the node's row lock.
        await Deployment.raw(
            "INSERT INTO deployments (project, environment, node, pipeline_version, name,"
            " status, tags, ports, error, cpu, memory_mb, created_at, updated_at)"
            " SELECT p.id, {}, {}, v.id, {}, 'running', jsonb_build_object(), jsonb_build_object(),"
            " '', {}, {}, now(), now()"
            " FROM projects p JOIN pipeline_versions v ON v.project = p.id LIMIT 1",
            env,
            node,
            f"pr-{count}",
            cpu,
            memory_mb,
        ).run()
    return True


async def _fill(env: int, node: int, args: argparse.Namespace, count: int) -> int:
    while await _place(env, args.cpu, args.memory_mb, count + 1):
        count += 1
        await _heartbeat(node, args.node_gb * 1024, args.host_mb)
    return count


async def _counts() -> dict[str, int]:
    rows = await db.fetch("SELECT status, COUNT(*) AS n FROM deployments GROUP BY status")
    return {row["status"]: row["n"] for row in rows}


async def run(args: argparse.Namespace) -> None:
    node_mb = args.node_gb * 1024
    env, node = await _seed(node_mb, args.node_cpus, args.cpu, args.memory_mb)
    await _heartbeat(node, node_mb, args.host_mb)
    today = await _fill(env, node, args, 0)
    total = today
    while True:
        counts = await _counts()
        asleep_wanted = total // 2 + total % 2  # at least half of them asleep
        to_sleep = asleep_wanted - counts.get("sleeping", 0)
        if to_sleep > 0:
            await db.fetch(
                "UPDATE deployments SET status = 'sleeping', updated_at = now() WHERE id IN"
                " (SELECT id FROM deployments WHERE status = 'running' ORDER BY id LIMIT $1)",
                to_sleep,
            )
            await _heartbeat(node, node_mb, args.host_mb)
        added = await _fill(env, node, args, total) - total
        if added == 0:
            break
        total += added
    counts = await _counts()
    print(
        f"node: {args.node_gb} GB, {args.node_cpus:g} CPUs, {args.host_mb} MB used outside Shoal;"
        f" each deployment {args.cpu:g} CPU, {args.memory_mb} MB"
    )
    print(f"today's capacity check (nothing asleep): {today} deployments")
    print(
        f"with half of them asleep: {total} deployments"
        f" ({counts.get('running', 0)} running, {counts.get('sleeping', 0)} sleeping)"
    )
    print(f"ratio: {total / today:.2f}x" if today else "ratio: n/a (none fits)")


async def main_async(dsn: str, args: argparse.Namespace) -> None:
    db.configure(dsn)
    await db.migrate()
    await db.start_pool(2)
    try:
        await run(args)
    finally:
        await db.close_pool()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-gb", type=int, default=24)
    parser.add_argument("--node-cpus", type=float, default=8.0)
    parser.add_argument("--cpu", type=float, default=0.5, help="each deployment's CPU limit")
    parser.add_argument("--memory-mb", type=int, default=2048, help="each deployment's memory")
    parser.add_argument("--host-mb", type=int, default=1024, help="memory used outside Shoal")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-per-node-") as tmp:
        dsn = db.start_embedded(Path(tmp))
        try:
            asyncio.run(main_async(dsn, args))
        finally:
            db.stop_embedded()


if __name__ == "__main__":
    main()
