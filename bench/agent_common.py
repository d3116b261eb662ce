"""Shared helpers for the agent benchmarks: start an agent (source or built binary) with the
test fixtures' code, measure process-tree RSS, and print a numbers table."""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from shoaltest.agent import AgentClient, AgentProcess, remove_labelled  # noqa: E402
from shoaltest.ports import free_port  # noqa: E402

BINARY = ROOT / "build/out/shoal-agent"
BUSYBOX = "shoal-test/busybox:latest"


def new_agent(
    command: list[str] | None = None, extra_args: list[str] | None = None
) -> AgentProcess:
    agent_id = "b" + secrets.token_hex(4)
    agent = AgentProcess(
        data_dir=Path(tempfile.mkdtemp(prefix="shoal-bench-")) / agent_id,
        token=secrets.token_urlsafe(24),
        port=free_port(),
        agent_id=agent_id,
        extra_args=extra_args or [],
    )
    if command:
        agent.command = command
    return agent


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its descendants (a onefile binary runs its payload as a child)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rss = next(line for line in status.splitlines() if line.startswith("VmRSS"))
            total += int(rss.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            stack.extend(int(child) for child in children)
        except (OSError, StopIteration):
            pass
    return total / 1024


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"median {statistics.median(ordered):.3f}  p95 {p95:.3f}  min {ordered[0]:.3f}"
        f"  max {ordered[-1]:.3f}  (n={len(ordered)})"
    )


def ensure_busybox() -> None:
    import subprocess

    subprocess.run(
        ["bash", str(ROOT / "build/base-images/busybox.sh"), BUSYBOX],
        check=True,
        capture_output=True,
        env={**os.environ, "DOCKER": "/usr/bin/docker"},
    )


__all__ = [
    "BINARY",
    "BUSYBOX",
    "AgentClient",
    "ensure_busybox",
    "new_agent",
    "remove_labelled",
    "summary",
    "tree_rss_mb",
]
