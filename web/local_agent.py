"""`up` on a laptop: a node agent for this host, registered in a `local` environment.

The first `up` creates the environment (URLs under `*.local.localhost`, which browsers resolve
to 127.0.0.1) and the node, keeps the node token in the data dir (0600) and starts
`python -m agent` with it; later runs reuse both. The agent stops when `up` stops.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys

from core import db, runtime
from core.actor import Actor
from core.services import environments, nodes
from core.settings import Settings
from core.tables import Environment, Node

ENVIRONMENT = "local"
BASE_DOMAIN = "localhost"
TOKEN_FILE = "local-agent.token"
_process: subprocess.Popen | None = None  # the agent this process started, for stop_local_agent


def docker_reachable() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


async def _ensure_node(made: runtime.Runtime, host: str, port: int, have_token: bool) -> str | None:
    """The node's token when a new one had to be made (first run, or its file was lost)."""
    runtime.enter(made)  # the node's token is sealed under the master key
    actor = Actor.system("shoal up")
    await db.start_pool(2)
    try:
        env = (
            await Environment.select(Environment.id)
            .where(Environment.name == ENVIRONMENT)
            .first()
            .run()
        )
        if env is None:
            created = await environments.create_environment(
                actor,
                environments.EnvironmentInput(
                    name=ENVIRONMENT,
                    base_domain=BASE_DOMAIN,
                    cleanup_hours=24,
                    description="This machine, set up by `shoal up`.",
                ),
            )
            env = {"id": created.id}
        node = (
            await Node.select(Node.id)
            .where((Node.environment == env["id"]) & (Node.host == host) & (Node.port == port))
            .first()
            .run()
        )
        if node is None:
            added = await nodes.add_node(
                actor, env["id"], nodes.NodeInput(host=host, port=port, name="this-host")
            )
            token = added.token
        elif not have_token:
            token = (await nodes.rotate_token(actor, node["id"])).token
        else:
            return None
        return token
    finally:
        await db.close_pool()


def start_local_agent(settings: Settings) -> None:
    if not settings.local_agent:
        return
    if not docker_reachable():
        print(
            "note: Docker is not reachable, so no local agent was started; add a node "
            "under Environments once Docker runs.",
            flush=True,
        )
        return
    host, _, port = settings.local_agent_listen.rpartition(":")
    token_file = settings.data_path / TOKEN_FILE
    made = runtime.Runtime.from_settings(settings)
    token = asyncio.run(_ensure_node(made, host, int(port), token_file.exists()))
    if token:
        token_file.touch(mode=0o600)
        token_file.write_text(token)
    log = (settings.data_path / "local-agent.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent",
            "--listen",
            settings.local_agent_listen,
            "--data",
            str(settings.data_path / "agent"),
            "--token-file",
            str(token_file),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ},
        preexec_fn=_die_with_parent,  # spawned from the main thread, before uvicorn starts
    )
    global _process
    _process = process
    atexit.register(_stop, process)
    print(
        f"Local agent for this host on {settings.local_agent_listen} (environment "
        f"'{ENVIRONMENT}', log: {settings.data_path / 'local-agent.log'})",
        flush=True,
    )


def stop_local_agent() -> bool:
    """Stop the agent `start_local_agent` started; False when none was started."""
    global _process
    process, _process = _process, None
    if process is None:
        return False
    _stop(process)
    return True


def _die_with_parent() -> None:
    """In the child: SIGTERM when `up` dies, even by SIGKILL (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
