"""Agent executable size, start-up time to listening, and idle RSS (source and binary)."""

from __future__ import annotations

import socket
import sys
import time

from agent_common import BINARY, new_agent, remove_labelled, summary, tree_rss_mb

RUNS = 5


def wait_listening(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.005)
    raise TimeoutError("agent did not listen")


def measure(label: str, command: list[str]) -> None:
    startup, rss, first_rss = [], [], []
    for _ in range(RUNS):
        agent = new_agent(command)
        # The very first start also creates the certificate (loads cryptography): measured apart.
        agent.start()
        time.sleep(3)
        first_rss.append(tree_rss_mb(agent.process.pid))
        agent.stop()
        began = time.monotonic()
        agent.start()  # returns once the agent printed its listening line
        wait_listening(agent.port, began + 20)
        startup.append(time.monotonic() - began)
        time.sleep(3)  # let the first heartbeat and reconcile pass: this is "idle"
        rss.append(tree_rss_mb(agent.process.pid))
        agent.stop()
        remove_labelled(agent.agent_id)
    print(f"{label:8} start-up to listening (s): {summary(startup)}")
    print(f"{label:8} idle RSS (MB):               {summary(rss)}")
    print(f"{label:8} idle RSS, first start (MB):  {summary(first_rss)}")


def main() -> None:
    if BINARY.exists():
        print(f"executable size: {BINARY.stat().st_size / 2**20:.1f} MB ({BINARY})")
        measure("binary", [str(BINARY)])
    else:
        print(f"executable size: not built ({BINARY} missing: run bash build/agent.sh)")
    measure("source", [sys.executable, "-m", "agent"])


if __name__ == "__main__":
    main()
