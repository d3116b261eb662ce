"""Terminals on the agent (agent/terminals.py) over the fake engine's echoing pty: keystrokes
reach the shell in the order they were sent although each request runs in its own task, and
output stops at the credit window until the control plane acknowledges it."""

from __future__ import annotations

import asyncio

from agent.protocol import TERMINAL_WINDOW_BYTES, Ok, TerminalOpen, TerminalOutput
from agent.terminals import Terminals


class Collecting:
    def __init__(self) -> None:
        self.sent: list = []

    def send(self, message) -> None:
        self.sent.append(message)

    def output(self) -> bytes:
        return b"".join(m.data for m in self.sent if isinstance(m, TerminalOutput))


async def opened(engine, session) -> tuple[Terminals, object]:
    network, _ = await engine.create_network(5, "10.99.0.0/16", 24, [])
    await engine.start_service(
        deployment_id=5,
        step="web",
        image="busybox",
        network=network,
        env={},
        command=None,
        port=None,
        publish_address="127.0.0.1",
        cpu=None,
        memory_mb=None,
    )
    terminals = Terminals(engine)
    request = TerminalOpen(id=1, terminal="k", deployment_id=5, step="web")
    assert isinstance(await terminals.start(session, request), Ok)
    return terminals, terminals.get(session, "k")


async def until_output(session: Collecting, size: int) -> None:
    for _ in range(1000):
        if len(session.output()) >= size:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(session.output())} of {size} bytes came")


async def test_keystrokes_arrive_in_order_though_each_is_its_own_task(engine):
    session = Collecting()
    terminals, terminal = await opened(engine, session)
    typed = [bytes([c]) for c in b"echo hello; stty size\r" * 20]
    await asyncio.gather(*(terminals.write(terminal, key) for key in typed))
    await until_output(session, len(typed))
    assert session.output() == b"".join(typed)
    await terminals.close(terminal)


async def test_output_stops_at_the_window_until_acknowledged(engine):
    session = Collecting()
    terminals, terminal = await opened(engine, session)
    flood = b"x" * (3 * TERMINAL_WINDOW_BYTES)
    writer = asyncio.create_task(terminals.write(terminal, flood))
    await until_output(session, TERMINAL_WINDOW_BYTES)
    await asyncio.sleep(0.3)
    assert len(session.output()) < TERMINAL_WINDOW_BYTES + 64 * 1024  # held at the window
    terminals.ack(terminal, len(session.output()))
    await until_output(session, 2 * TERMINAL_WINDOW_BYTES)
    terminals.ack(terminal, 10 * TERMINAL_WINDOW_BYTES)
    await until_output(session, len(flood))
    await writer
    await terminals.close(terminal)


async def test_a_resize_lands_before_the_keys_typed_after_it(engine, monkeypatch):
    session = Collecting()
    terminals, terminal = await opened(engine, session)
    order = []
    slow_resize = terminal.pty.resize

    def resize(cols: int, rows: int) -> None:
        import time

        time.sleep(0.2)  # a Docker API call takes a while
        slow_resize(cols, rows)
        order.append("resize")

    monkeypatch.setattr(terminal.pty, "resize", resize)
    real_write = terminal.pty.write
    monkeypatch.setattr(terminal.pty, "write", lambda data: (order.append(data), real_write(data)))
    await asyncio.gather(terminals.resize(terminal, 123, 45), terminals.write(terminal, b"stty"))
    assert order == ["resize", b"stty"] and terminal.pty.size == (123, 45)
    await terminals.close(terminal)
