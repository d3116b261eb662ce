"""`shoal-agent` / `python -m agent`: flags > environment > defaults, checked before starting.

--listen HOST:PORT     AGENT_LISTEN            0.0.0.0:5000
--data DIR             AGENT_DATA              /data
--publish-address A    AGENT_PUBLISH_ADDRESS   the listen host, or 127.0.0.1 for 0.0.0.0
--token-file FILE      AGENT_TOKEN_FILE        (or the token itself in AGENT_TOKEN)
--agent-id ID          AGENT_ID                stored in DIR/agent-id on first start
--subnet-pool CIDR     AGENT_SUBNET_POOL       10.213.0.0/16
--subnet-prefix N      AGENT_SUBNET_PREFIX     26
--heartbeat SECONDS    AGENT_HEARTBEAT         10
--reconcile SECONDS    AGENT_RECONCILE         30
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import ssl
import sys
from collections.abc import Mapping
from pathlib import Path

from agent import __version__, tls
from agent.app import App
from agent.config import AgentConfig
from agent.keys import NoToken, TokenKeys


class StartError(Exception):
    pass


def parse_args(argv: list[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="shoal-agent", description="Shoal node agent")
    add = parser.add_argument
    add("--listen", default=env.get("AGENT_LISTEN", "0.0.0.0:5000"), help="HOST:PORT to serve on")
    add("--data", default=env.get("AGENT_DATA", "/data"), help="data directory")
    add("--host-data", default=env.get("AGENT_HOST_DATA", ""), help="--data's path on the host")
    add("--publish-address", default=env.get("AGENT_PUBLISH_ADDRESS", ""))
    add("--token-file", default=env.get("AGENT_TOKEN_FILE", ""))
    add("--agent-id", default=env.get("AGENT_ID", ""))
    add("--subnet-pool", default=env.get("AGENT_SUBNET_POOL", "10.213.0.0/16"))
    add("--subnet-prefix", type=int, default=int(env.get("AGENT_SUBNET_PREFIX", "26")))
    add("--heartbeat", type=float, default=float(env.get("AGENT_HEARTBEAT", "10")))
    add("--reconcile", type=float, default=float(env.get("AGENT_RECONCILE", "30")))
    add("--version", action="version", version=f"shoal-agent {__version__}")
    return parser.parse_args(argv)


def prepare(args: argparse.Namespace, env: Mapping[str, str]) -> tuple[AgentConfig, str | None]:
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise StartError(f"--listen must be HOST:PORT, got {args.listen!r}")
    host = host.strip("[]")
    data_dir = Path(args.data).resolve()
    check_data_dir(data_dir)
    agent_id = args.agent_id or load_agent_id(data_dir)
    publish = args.publish_address or (host if host not in ("0.0.0.0", "::") else "127.0.0.1")
    config = AgentConfig(
        listen_host=host,
        listen_port=int(port),
        data_dir=data_dir,
        host_data_dir=Path(args.host_data) if args.host_data else None,
        publish_address=publish,
        agent_id=agent_id,
        subnet_pool=args.subnet_pool,
        subnet_prefix=args.subnet_prefix,
        heartbeat_s=args.heartbeat,
        reconcile_s=args.reconcile,
    )
    try:
        config.validate()
    except ValueError as error:
        raise StartError(str(error)) from error
    token = env.get("AGENT_TOKEN") or None
    if args.token_file:
        try:
            token = Path(args.token_file).read_text().strip() or None
        except OSError as error:
            raise StartError(f"cannot read the token file {args.token_file}: {error}") from error
    return config, token


def check_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = data_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as error:
        raise StartError(
            f"the data dir {data_dir} is not writable: {error.strerror or error}"
        ) from error


def load_agent_id(data_dir: Path) -> str:
    path = data_dir / "agent-id"
    try:
        stored = path.read_text().strip()
        if stored:
            return stored
    except OSError:
        pass
    agent_id = secrets.token_hex(4)
    path.write_text(agent_id + "\n")
    return agent_id


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("AGENT_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    env = os.environ
    try:
        args = parse_args(argv, env)
        config, token = prepare(args, env)
        keys = TokenKeys.load(config.data_dir, token)
        names = [config.listen_host, config.publish_address]
        cert, key = tls.ensure_certificate(config.data_dir / "tls", names, in_child=True)
        context = tls.server_context(cert, key)
        thumbprint = tls.thumbprint(cert.read_bytes())
    except (StartError, NoToken, tls.CertificateError) as error:
        print(f"shoal-agent: error: {error}", file=sys.stderr)
        return 2
    return asyncio.run(serve(config, keys, context, thumbprint))


async def serve(
    config: AgentConfig, keys: TokenKeys, context: ssl.SSLContext, thumbprint: str
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    def announce(app: App) -> None:
        print(
            f"shoal-agent {__version__} listening on wss://{config.listen_host}:{config.listen_port}"
            f" thumbprint {thumbprint} agent-id {config.agent_id} data {config.data_dir}"
            f" publish-address {config.publish_address}",
            flush=True,
        )

    try:
        app = App(config, keys, context, thumbprint)
        await app.run(stop, on_listening=announce)
    except OSError as error:
        print(
            f"shoal-agent: error: cannot listen on {config.listen_host}:{config.listen_port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return 2
    return 0
