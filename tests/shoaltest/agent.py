"""Fixtures for the node agent: a real `python -m agent` process on a free loopback port with its
own data dir, token and labels, and `AgentClient`, a test client that speaks the protocol
exactly as the control plane will (TLS, pinned thumbprint, challenge-response, ids, events).

    agent            a started agent (function scope), cleaned up by its labels afterwards
    agent_factory    start more (`agent_factory(extra_args=[...], env={...})`), same cleanup
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from agent import protocol as p
from shoaltest.ports import free_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20
LOG_DIR = Path(tempfile.gettempdir()) / "shoal-agent-test-logs"


class HandshakeRefused(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(repr(message))
        self.message = message


def client_ssl_context() -> ssl.SSLContext:
    # Trust comes from the pinned thumbprint, as in the control plane, not from a CA.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def peer_thumbprint(ws: ClientConnection) -> str:
    der = ws.transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest()


class AgentClient:
    """The control plane's side of one connection."""

    def __init__(self, ws: ClientConnection, hello: p.Hello, welcome: p.Welcome) -> None:
        self.ws, self.hello, self.welcome = ws, hello, welcome
        self.ids = itertools.count(1)
        self.last_id = 0
        self.error: Exception | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.events: list[Any] = []
        self.new_event = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls, url: str, token: str, *, thumbprint: str | None = None, protocol_version: int = 0
    ) -> AgentClient:
        ws = await connect(
            url,
            ssl=client_ssl_context(),
            max_size=p.MAX_MESSAGE_BYTES,
            compression=None,
            open_timeout=10,
        )
        try:
            hello = p.decode(await asyncio.wait_for(ws.recv(), 10), p.Hello)
            actual = peer_thumbprint(ws)
            assert hello.thumbprint == actual, "Hello names another certificate than TLS shows"
            if thumbprint is not None and actual != thumbprint:
                raise HandshakeRefused(f"untrusted: thumbprint {actual} != pinned {thumbprint}")
            cp_nonce = secrets.token_hex(32)
            proof = p.auth_proof(p.token_key(token), hello.nonce, cp_nonce, actual)
            auth = p.Auth(
                protocol_version=protocol_version or p.PROTOCOL_VERSION,
                cp_nonce=cp_nonce,
                proof=proof,
            )
            await ws.send(p.encode(auth), text=True)
            answer = p.decode(await asyncio.wait_for(ws.recv(), 30), p.Handshake)
        except BaseException:
            await ws.close()
            raise
        if not isinstance(answer, p.Welcome):
            await ws.close()
            raise HandshakeRefused(answer)
        expected = p.agent_proof(p.token_key(token), hello.nonce, cp_nonce, actual)
        if not p.proofs_match(expected, answer.proof):
            await ws.close()
            raise HandshakeRefused("the agent's Welcome does not prove the token")
        return cls(ws, hello, answer)

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                message = p.decode(frame, p.Reply | p.Event)
                request_id = getattr(message, "id", None)
                if request_id is not None and request_id in self.pending:
                    self.pending.pop(request_id).set_result(message)
                else:
                    if isinstance(message, p.ErrorReply) and message.id is None:
                        waiting = [f for f in self.pending.values() if not f.done()]
                        if len(waiting) == 1:  # an id-less error answers the only open request
                            self.pending.clear()
                            waiting[0].set_result(message)
                            continue
                    self.events.append(message)
                    self.new_event.set()
        except ConnectionClosed:
            pass
        except Exception as error:  # a frame the protocol cannot read: a bug worth seeing
            self.error = error
            raise
        finally:
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("agent connection closed"))

    async def request(self, message_type: type, within: float = 30, **fields: Any) -> Any:
        request_id = self.last_id = next(self.ids)  # last_id: the stream id of a logs request
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        await self.ws.send(p.encode(message_type(id=request_id, **fields)), text=True)
        return await asyncio.wait_for(future, within)

    async def send_raw(
        self, data: str | bytes, *, expect_id: int | None = None, within: float = 30
    ) -> Any:
        """Send any frame; return the reply carrying `expect_id` (or the next id-less reply)."""
        future = asyncio.get_running_loop().create_future()
        self.pending[999_999 if expect_id is None else expect_id] = future
        await self.ws.send(data, text=isinstance(data, str))
        return await asyncio.wait_for(future, within)

    async def wait_event(self, predicate: Callable[[Any], bool], within: float = 60) -> Any:
        deadline = time.monotonic() + within
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching event in {within} s; got {self.events[-10:]}")
            self.new_event.clear()
            try:
                await asyncio.wait_for(self.new_event.wait(), left)
            except TimeoutError:
                pass

    async def wait_status(self, deployment_id: int, *statuses: str, within: float = 60) -> Any:
        return await self.wait_event(
            lambda e: (
                isinstance(e, p.DeploymentStatus)
                and e.deployment_id == deployment_id
                and e.status in statuses
            ),
            within,
        )

    async def close(self) -> None:
        await self.ws.close()
        self.reader.cancel()


@dataclass
class AgentProcess:
    data_dir: Path
    token: str
    port: int
    agent_id: str
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=lambda: [sys.executable, "-m", "agent"])
    process: subprocess.Popen | None = None
    thumbprint: str = ""
    startup_line: str = ""

    @property
    def url(self) -> str:
        return f"wss://127.0.0.1:{self.port}/"

    @property
    def log_path(self) -> Path:
        # Outside the data dir's temporary parent so it survives the test for a post-mortem.
        LOG_DIR.mkdir(exist_ok=True)
        return LOG_DIR / f"{self.agent_id}.log"

    def start(self) -> AgentProcess:
        env = {**os.environ, "AGENT_TOKEN": self.token, **self.env}
        args = [
            *self.command,
            "--listen",
            f"127.0.0.1:{self.port}",
            "--data",
            str(self.data_dir),
            "--agent-id",
            self.agent_id,
            "--heartbeat",
            "2",
            *self.extra_args,
        ]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        line = _read_line(self.process, START_TIMEOUT_S)
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"agent did not start: {line!r}\n{self.log_text()[-3000:]}")
        self.startup_line = line
        self.thumbprint = line.split(" thumbprint ")[1].split()[0]
        return self

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def client(self, token: str | None = None) -> AgentClient:
        return await AgentClient.connect(self.url, token or self.token, thumbprint=self.thumbprint)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


def remove_labelled(agent_id: str) -> tuple[int, int]:
    """Remove every container and network carrying `shoal.node=<agent_id>`; return counts."""
    client = docker.from_env(timeout=60)
    label = {"label": f"shoal.node={agent_id}"}
    containers = client.containers.list(all=True, filters=label, sparse=True)
    for container in containers:
        client.api.remove_container(container.id, force=True, v=True)
    networks = client.networks.list(filters=label)
    for network in networks:
        network.remove()
    client.close()
    return len(containers), len(networks)


def labelled(agent_id: str) -> tuple[list[str], list[str]]:
    """Names of the containers and networks carrying this agent's label."""
    client = docker.from_env(timeout=60)
    label = {"label": f"shoal.node={agent_id}"}
    containers = [c["Names"][0] for c in client.api.containers(all=True, filters=label)]
    networks = [n.name for n in client.networks.list(filters=label)]
    client.close()
    return containers, networks


@pytest.fixture
def agent_factory() -> Iterator[Callable[..., AgentProcess]]:
    started: list[AgentProcess] = []
    with tempfile.TemporaryDirectory(prefix="shoal-agent-test-") as tmp:

        def make(
            extra_args: list[str] | None = None,
            env: dict[str, str] | None = None,
            command: list[str] | None = None,
            start: bool = True,
        ) -> AgentProcess:
            agent_id = "t" + secrets.token_hex(4)
            process = AgentProcess(
                data_dir=Path(tmp) / agent_id,
                token=secrets.token_urlsafe(24),
                port=free_port(),
                agent_id=agent_id,
                extra_args=extra_args or [],
                env=env or {},
            )
            if command:
                process.command = command
            started.append(process)
            return process.start() if start else process

        yield make
        for process in started:
            process.kill()
            try:
                remove_labelled(process.agent_id)
            except docker.errors.DockerException:
                pass  # no dockerd (handshake-only tests): the agent created nothing


@pytest.fixture
def agent(agent_factory: Callable[..., AgentProcess]) -> AgentProcess:
    return agent_factory()


# ---- deployment specs and a test plugin image ------------------------------------------------

PLUGIN_SCRIPT = r"""
doc=$(cat)
case "$doc" in *'"action":"rollback"'*) action=rollback ;; *) action=apply ;; esac
echo "plugin $action starting" >&2
case "$doc" in
  *'"mode":"fail"'*) echo "boom: exiting 3" >&2; exit 3 ;;
  *'"mode":"hang"'*) sleep 1000 ;;
  *'"mode":"nonjson"'*) echo "this is not json" ;;
  *'"mode":"flood"'*) head -c 104857600 /dev/zero | tr '\0' 'x'; exit 0 ;;
  *'"mode":"errflood"'*)
    yes "stderr flood: one more line of plugin chatter" | head -c 104857600 >&2
    echo "errflood: the last line" >&2 ;;
  *'"mode":"leak"'*) echo "leaking the whole document: $doc" >&2 ;;
  *'"mode":"slow"'*) sleep 3 ;;
  *'"mode":"probe"'*)
    # static busybox cannot resolve names itself (glibc NSS); ask Docker's DNS directly
    ip=$(nslookup web 127.0.0.11 2>/dev/null | awk '/^Address/ && !/127.0.0.11/ {print $NF}')
    [ -n "$ip" ] && wget -q -O /dev/null "http://$ip:8080/" || {
      echo "web unreachable" >&2; exit 4; } ;;
  *'"mode":"reach"'*)
    url=$(echo "$doc" | sed -n 's/.*"url":"\([^"]*\)".*/\1/p')
    # busybox wget -T crashes (static build); timeout bounds it instead
    timeout 3 wget -q -O /dev/null "$url" 2>/dev/null && reached=yes || reached=no
    extra="\"reached\": \"$reached\", " ;;
  *'"mode":"sandbox"'*)
    touch /written 2>/dev/null && root=yes || root=no
    echo x >/tmp/written && tmp=yes || tmp=no
    caps=$(awk '/^CapEff/ {print $2}' /proc/self/status)
    nnp=$(awk '/^NoNewPrivs/ {print $2}' /proc/self/status)
    nets=$(ls /sys/class/net | tr '\n' ' ')
    extra="\"root_writable\": \"$root\", \"tmp_writable\": \"$tmp\", \"caps\": \"$caps\", "
    extra="$extra\"no_new_privs\": \"$nnp\", \"interfaces\": \"$nets\", " ;;
esac
printf '{"outputs": {%s"greeting": "hello", "action": "%s", "doc": %s}}\n' "$extra" "$action" "$doc"
"""


# Tagged by the script's content: a test session still holding an older script (other tests run
# on the same dockerd at the same time) builds its own tag instead of moving this one.
PLUGIN_IMAGE = f"shoal-test/agent-plugin:{hashlib.sha256(PLUGIN_SCRIPT.encode()).hexdigest()[:12]}"


def build_plugin_image(client: docker.DockerClient, base: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "plugin.sh").write_text(PLUGIN_SCRIPT)
        Path(tmp, "Dockerfile").write_text(
            f'FROM {base}\nCOPY plugin.sh /plugin.sh\nCMD ["sh", "/plugin.sh"]\n'
        )
        client.images.build(path=tmp, tag=PLUGIN_IMAGE, rm=True)
    return PLUGIN_IMAGE


@pytest.fixture(scope="session")
def plugin_image(docker_client: docker.DockerClient, busybox_image: str) -> str:
    """A plugin made from busybox sh: reads the JSON document on stdin; `params.mode` picks
    a behaviour (ok, fail = exit 3, hang, nonjson, flood = 100 MB on stdout, errflood = 100 MB
    on stderr then a last line, leak = its whole input (secrets too) on stderr, slow = 3 s,
    probe = fetch http://web:8080/ or exit 4, reach = output whether `params.url` answered,
    sandbox = output what the container may do: write / and /tmp, capabilities, network)."""
    return build_plugin_image(docker_client, busybox_image)


def httpd_service(node_id: str, image: str, **config: Any) -> p.ServiceNode:
    health = p.HealthCheck(type="http", path="/", timeout_s=20)
    return p.ServiceNode(
        id=node_id,
        image=image,
        config=p.ServiceConfig(
            port=8080,
            command=["httpd", "-f", "-p", "8080", "-h", "/www"],
            health_check=health,
            **config,
        ),
    )


def plugin_node(node_id: str, image: str, mode: str = "ok", **config: Any) -> p.PluginNode:
    params = {"mode": mode, **config.pop("params", {})}
    return p.PluginNode(id=node_id, image=image, config=p.PluginConfig(params=params, **config))


def make_spec(
    deployment_id: int,
    nodes: list[p.ServiceNode | p.PluginNode],
    edges: list[tuple[str, str]] = (),  # type: ignore[assignment]
    *,
    cpu: float = 2.0,
    memory_mb: int = 1024,
    **fields: Any,
) -> p.DeploymentSpec:
    return p.DeploymentSpec(
        id=deployment_id,
        name=f"dep{deployment_id}",
        environment="qa",
        limits=p.Limits(cpu=cpu, memory_mb=memory_mb),
        pipeline_version=fields.pop("pipeline_version", 1),
        nodes=nodes,
        edges=[p.Edge(source=a, target=b) for a, b in edges],
        **fields,
    )
