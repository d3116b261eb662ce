"""Metrics, heartbeats, logs, and Docker going away and coming back."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from agent import protocol as p
from shoaltest.agent import httpd_service, make_spec

pytestmark = pytest.mark.docker

TICKER = (
    "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done & exec httpd -f -p 8080 -h /www"
)


async def test_metrics_and_heartbeats_report_the_node_and_deployments(agent, busybox_image):
    client = await agent.client()
    try:
        beat = await client.wait_event(lambda e: isinstance(e, p.Heartbeat), within=10)
        assert beat.metrics.docker == "ok" and beat.metrics.capacity.memory_mb > 0
        spec = make_spec(21, [httpd_service("web", busybox_image)], cpu=1.0, memory_mb=256)
        await client.request(p.Deploy, spec=spec)
        assert (await client.wait_status(21, "running", "failed")).status == "running"
        await client.request(p.GetMetrics)  # first sample: CPU deltas need a previous one
        reply = await client.request(p.GetMetrics)
        metrics = reply.metrics
        assert metrics.allocated == p.Limits(cpu=1.0, memory_mb=256)
        assert 0 <= metrics.cpu_busy_percent <= 100 and metrics.memory_available_mb > 0
        assert metrics.disk_total_mb >= metrics.disk_free_mb > 0
        usage = metrics.deployments[21]
        assert usage.containers == 1 and 0 < usage.memory_mb < 256 and usage.cpu_percent >= 0
        web = usage.services["web"]  # per service too, for the deployment page's charts
        assert list(usage.services) == ["web"] and web.memory_mb == usage.memory_mb
        assert web.cpu_percent == usage.cpu_percent
    finally:
        await client.close()


async def test_logs_tail_follow_and_stop(agent, busybox_image):
    service = httpd_service("web", busybox_image)
    service.config.command = ["sh", "-c", "echo first line; echo second line; " + TICKER]
    client = await agent.client()
    try:
        await client.request(p.Deploy, spec=make_spec(22, [service]))
        assert (await client.wait_status(22, "running", "failed")).status == "running"
        reply = await client.request(p.Logs, deployment_id=22, step="web", tail=1000)
        assert isinstance(reply, p.Ok)
        ended = await client.wait_event(
            lambda e: isinstance(e, p.LogsEnded) and e.stream_id == client.last_id
        )
        lines = [
            e.line
            for e in client.events
            if isinstance(e, p.LogLine) and e.stream_id == ended.stream_id
        ]
        assert lines[:2] == ["first line", "second line"]

        follow = await client.request(p.Logs, deployment_id=22, step="web", tail=0, follow=True)
        assert isinstance(follow, p.Ok)
        stream_id = client.last_id
        await client.wait_event(
            lambda e: (
                isinstance(e, p.LogLine) and e.stream_id == stream_id and e.line.startswith("tick")
            )
        )
        stopped = await client.request(p.LogsStop, stream_id=stream_id)
        assert isinstance(stopped, p.Ok)
        await client.wait_event(lambda e: isinstance(e, p.LogsEnded) and e.stream_id == stream_id)
        missing = await client.request(p.Logs, deployment_id=22, step="nope")
        assert missing.code == "not_found"
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def docker_proxy(path: Path):
    """A unix socket relaying to the real dockerd: closing it is 'the daemon went away'."""
    connections: set[asyncio.StreamWriter] = set()

    async def relay(reader, writer):
        connections.add(writer)
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        upstream_reader, upstream_writer = await asyncio.open_unix_connection(
            "/var/run/docker.sock"
        )
        connections.add(client_writer)
        await asyncio.gather(
            relay(client_reader, upstream_writer), relay(upstream_reader, client_writer)
        )

    server = await asyncio.start_unix_server(handle, str(path))
    try:
        yield
    finally:
        server.close()
        for writer in connections:
            writer.close()
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def test_docker_down_is_reported_and_recovered_from(agent_factory, busybox_image, tmp_path):
    socket_path = tmp_path / "docker.sock"
    agent = agent_factory(env={"DOCKER_HOST": f"unix://{socket_path}"})
    client = await agent.client()
    try:
        beat = await client.wait_event(lambda e: isinstance(e, p.Heartbeat), within=10)
        assert beat.metrics.docker == "unavailable"
        await client.request(p.Deploy, spec=make_spec(23, [httpd_service("web", busybox_image)]))
        failed = await client.wait_status(23, "failed")
        assert "docker" in failed.error.lower() or "connection" in failed.error.lower()
        async with docker_proxy(socket_path):
            client.events.clear()
            beat = await client.wait_event(
                lambda e: isinstance(e, p.Heartbeat) and e.metrics.docker == "ok", within=10
            )
            assert beat.metrics.docker_version
            await client.request(
                p.Deploy, spec=make_spec(24, [httpd_service("web", busybox_image)])
            )
            assert (await client.wait_status(24, "running", "failed")).status == "running"
        client.events.clear()
        await client.wait_event(
            lambda e: isinstance(e, p.Heartbeat) and e.metrics.docker == "unavailable", within=10
        )
        assert isinstance(await client.request(p.GetState), p.DeploymentsReply)
    finally:
        await client.close()
    assert agent.process.poll() is None


async def test_events_raised_while_disconnected_arrive_after_the_next_welcome(
    agent, busybox_image, plugin_image
):
    from shoaltest.agent import plugin_node

    spec = make_spec(25, [plugin_node("slow", plugin_image, mode="slow")])
    client = await agent.client()
    await client.request(p.Deploy, spec=spec)
    await client.wait_event(lambda e: isinstance(e, p.StepStarted))
    await client.close()
    await asyncio.sleep(4)  # the step finishes while nobody listens
    client = await agent.client()  # Welcome first (the handshake would fail otherwise)
    try:
        status = await client.wait_status(25, "running", within=10)
        assert status.status == "running"
        assert any(isinstance(e, p.StepFinished) and e.step == "slow" for e in client.events)
    finally:
        await client.close()
