"""The agent over real TLS: certificate, handshake, bad input, sessions, token rotation."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from agent import protocol as p
from shoaltest.agent import REPO, AgentClient, HandshakeRefused


def test_certificate_is_created_owner_only_and_reused(agent):
    tls_dir = agent.data_dir / "tls"
    for name in ("agent.key", "agent.crt"):
        assert stat.S_IMODE((tls_dir / name).stat().st_mode) == 0o600
    first = agent.thumbprint
    assert len(first) == 64 and first == first.lower()
    agent.stop()
    assert agent.start().thumbprint == first
    agent.stop()
    shutil.rmtree(tls_dir)
    assert agent.start().thumbprint != first


async def test_welcome_after_a_valid_proof(agent):
    client = await agent.client()
    try:
        assert client.hello.agent_id == agent.agent_id
        assert client.hello.protocol_version == p.PROTOCOL_VERSION
        assert len(bytes.fromhex(client.hello.nonce)) == 32
        assert client.welcome.capacity.cpus >= 1
        reply = await client.request(p.GetState)
        assert isinstance(reply, p.DeploymentsReply) and reply.deployments == []
    finally:
        await client.close()


async def test_wrong_token_is_refused_without_hint_and_slowed_down(agent):
    timings = []
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(HandshakeRefused) as refused:
            await agent.client(token="not-the-token")
        timings.append(time.monotonic() - started)
        assert refused.value.message == p.AuthFailed()
    # each failure from an address doubles the wait: 0.25 s, 0.5 s, 1 s
    assert timings[0] >= 0.25 and timings[1] >= 0.5 and timings[2] >= 1.0
    client = await agent.client()  # the right token still works at once
    await client.close()


async def test_a_replayed_proof_is_refused(agent):
    client = await agent.client()
    first_nonce = client.hello.nonce
    await client.close()
    # A proof captured for one nonce is useless for the next connection's nonce.
    from websockets.asyncio.client import connect

    from shoaltest.agent import client_ssl_context

    async with connect(agent.url, ssl=client_ssl_context()) as ws:
        hello = p.decode(await ws.recv(), p.Hello)
        assert hello.nonce != first_nonce
        stale = p.auth_proof(p.token_key(agent.token), first_nonce, "cp", hello.thumbprint)
        auth = p.Auth(protocol_version=p.PROTOCOL_VERSION, cp_nonce="cp", proof=stale)
        await ws.send(p.encode(auth))
        assert isinstance(p.decode(await ws.recv(), p.Handshake), p.AuthFailed)


async def test_before_the_proof_a_large_frame_ends_the_connection_not_the_agent(agent):
    from websockets.asyncio.client import connect

    from shoaltest.agent import client_ssl_context

    async with connect(agent.url, ssl=client_ssl_context(), max_size=None) as ws:
        p.decode(await ws.recv(), p.Hello)
        await ws.send("x" * (1024 * 1024))  # nobody unauthenticated makes the agent buffer 1 MB
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    client = await agent.client()  # the agent serves the next connection as before
    await client.close()
    assert agent.process.poll() is None


async def test_incompatible_protocol_version_gets_a_clear_reply(agent):
    with pytest.raises(HandshakeRefused) as refused:
        await AgentClient.connect(agent.url, agent.token, protocol_version=99)
    answer = refused.value.message
    assert isinstance(answer, p.Incompatible)
    assert answer.agent_protocol_version == p.PROTOCOL_VERSION and "99" in answer.message


async def test_bad_frames_get_error_replies_and_the_connection_stays_up(agent):
    client = await agent.client()
    try:
        reply = await client.send_raw("{not json")
        assert reply.code == "malformed" and reply.id is None
        reply = await client.send_raw('{"type": "launch_missiles", "id": 7}', expect_id=7)
        assert reply.code == "unknown_type"
        reply = await client.send_raw('{"type": "delete", "id": 8}', expect_id=8)
        assert reply.code == "invalid" and "deployment_id" in reply.message
        reply = await client.send_raw(b"\xff\xfe binary junk")
        assert reply.code == "malformed"
        big = '{"type": "state", "id": 9, "pad": "' + "x" * (50 * 1024 * 1024) + '"}'
        reply = await client.send_raw(big, expect_id=9, within=60)
        assert reply.code == "too_large"
        state = await client.request(p.GetState)
        assert isinstance(state, p.DeploymentsReply)
    finally:
        await client.close()
    assert agent.process.poll() is None


async def test_a_newer_session_replaces_the_older(agent):
    first = await agent.client()
    second = await agent.client()
    await asyncio.wait_for(first.reader, 10)
    assert first.ws.close_code == 4000
    assert isinstance(await second.request(p.GetState), p.DeploymentsReply)
    with pytest.raises((ConnectionClosed, ConnectionError)):
        await first.request(p.GetState, within=5)
    await second.close()


async def test_token_rotation_survives_restarts(agent):
    client = await agent.client()
    new_token = "rotated-" + agent.token
    reply = await client.request(p.RotateToken, new_key=p.token_key(new_token).hex())
    assert isinstance(reply, p.Ok)
    bad = await client.request(p.RotateToken, new_key="nothex")
    assert bad.code == "invalid"
    await client.close()
    with pytest.raises(HandshakeRefused):
        await agent.client()  # the old token stops working at once
    await (await agent.client(token=new_token)).close()
    auth_file = (agent.data_dir / "auth.json").read_text()
    assert agent.token not in auth_file and new_token not in auth_file

    agent.stop()
    agent.start()  # AGENT_TOKEN is still the rotated-away token: the stored key stays
    client = await agent.client(token=new_token)
    await client.close()

    agent.stop()
    agent.token = "admin-handed-a-new-one"
    agent.start()  # a different AGENT_TOKEN wins
    client = await agent.client()
    await client.close()
    with pytest.raises(HandshakeRefused):
        await agent.client(token=new_token)


def test_read_only_data_dir_is_a_clear_error_at_start(tmp_path):
    target = tmp_path / "ro"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(target)], check=True)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "agent", "--listen", "127.0.0.1:1", "--data", str(target)],
            cwd=REPO,
            env={**os.environ, "AGENT_TOKEN": "x"},
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        subprocess.run(["umount", str(target)], check=True)
    assert result.returncode == 2
    assert f"the data dir {target} is not writable" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_token_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AGENT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "agent", "--listen", "127.0.0.1:1", "--data", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "no node token" in result.stderr


def test_corrupt_state_file_starts_empty(agent):
    agent.stop()
    (agent.data_dir / "state.db").write_bytes(b"this is not sqlite" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{agent.data_dir / 'state.db'}{suffix}").unlink(missing_ok=True)
    agent.start()
    assert any(p.name.startswith("state.db.corrupt-") for p in agent.data_dir.iterdir())


async def test_an_unauthenticated_peer_cannot_send_big_frames(agent):
    from websockets.asyncio.client import connect

    from shoaltest.agent import client_ssl_context

    async with connect(agent.url, ssl=client_ssl_context(), max_size=None) as ws:
        await ws.recv()  # Hello
        await ws.send("x" * (1024 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd.code == 1009  # message too big
    client = await agent.client()  # the agent is fine
    await client.close()
