"""Pure pieces of the hub and the node rules: backoff, host checks, run lines, forwarding
frames, step statuses and usage numbers."""

from __future__ import annotations

import random
import shlex
import time
from collections.abc import Iterator

import msgspec
import pytest

from agent import protocol as p
from core import crypto, runtime
from core.domain import nodes as rules
from core.errors import InvalidInput
from core.hub import envelope, events
from core.hub.config import HubConfig, backoff_delay, config_from
from core.hub.envelope import CHUNK, Reassembler, ReplayGuard, chunks, seal, unseal


def test_backoff_doubles_is_capped_and_jittered():
    config = HubConfig(backoff_initial_s=0.5, backoff_max_s=30)
    rng = random.Random(1)
    for failures, ceiling in [(1, 0.5), (2, 1), (3, 2), (7, 30), (60, 30), (10_000, 30)]:
        delays = [backoff_delay(failures, config, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 10  # jitter spreads a reconnect storm


def test_config_from_settings_and_role():
    class Settings:
        hub_heartbeat_timeout_s = 12

    config = config_from(Settings(), {"SHOAL_HUB_ROLE": "follower"})
    assert config.heartbeat_timeout_s == 12 and config.role == "follower"
    assert config_from(object(), {}).role == "auto"
    with pytest.raises(ValueError, match="SHOAL_HUB_ROLE"):
        config_from(object(), {"SHOAL_HUB_ROLE": "boss"})
    assert HubConfig(lock_key=255).channel == "shoal_hub_ff"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Node1.Example.COM", "node1.example.com"),
        ("node1.example.com.", "node1.example.com"),
        ("10.0.0.5", "10.0.0.5"),
        ("[::1]", "::1"),
        ("fe80::1", "fe80::1"),
        ("localhost", "localhost"),
        (" host-1 ", "host-1"),
    ],
)
def test_valid_hosts_are_normalised(given, stored):
    assert rules.check_host(given) == stored


@pytest.mark.parametrize(
    "host",
    [
        "",
        " ",
        "http://node",
        "node:5000",
        "node/path",
        "under_score",
        "-lead",
        "trail-.x",
        "a..b",
        "1.2.3.999",
        "300.1.1.1",
        "x" * 64 + ".com",
        "a." * 130,
        "nöde",
        "a b",
    ],
)
def test_invalid_hosts_are_refused_naming_the_field(host):
    with pytest.raises(InvalidInput) as refused:
        rules.check_host(host)
    assert refused.value.field == "host"


def test_ports_and_default_names():
    assert rules.check_port(5000) == 5000
    for bad in (0, 65536, -1):
        with pytest.raises(InvalidInput):
            rules.check_port(bad)
    assert rules.name_from_host("node1.example.com") == "node1"
    assert rules.name_from_host("10.0.0.5") == "10-0-0-5"
    assert rules.name_from_host("::1") == "1"


def test_run_lines_carry_the_token_quoted_and_the_port():
    token = rules.new_token()
    lines = rules.run_commands("10.0.0.5", 5001, token)
    agent = shlex.split(lines["run_command"])
    assert agent[0] == f"AGENT_TOKEN={token}" and agent[1] == "shoal-agent"
    assert agent[agent.index("--listen") + 1] == "0.0.0.0:5001"
    assert agent[agent.index("--publish-address") + 1] == "10.0.0.5"
    docker = shlex.split(lines["docker_command"])
    assert docker[:3] == ["docker", "run", "-d"] and "5001:5000" in docker
    assert f"AGENT_TOKEN={token}" in docker and docker[-1].startswith("shoal/agent:")
    named = rules.run_commands("node1.example.com", 5000, token)
    assert "--publish-address" not in named["run_command"]


def test_the_stored_key_is_what_the_agent_derives_and_the_fingerprint_is_not_it():
    token = rules.new_token()
    assert rules.key_hex(token) == p.token_key(token).hex()
    assert rules.token_fingerprint(token) != rules.key_hex(token)
    assert len(token) >= 40


@pytest.fixture
def keyed() -> Iterator[None]:
    """A runtime with a master key for the test (a sync one: it leaves it when done)."""
    with runtime.entered(runtime.Runtime(box=crypto.SecretBox(crypto.generate_key()))):
        yield


def test_forwarded_messages_are_sealed_chunked_and_reassembled_in_any_order(keyed):
    message = {"op": "deploy", "args": {"secret": "s3cr3t", "blob": "x" * (CHUNK * 3)}}
    sealed = seal(message)
    assert sealed.startswith("e") and "s3cr3t" not in sealed
    parts = chunks("abc.1", sealed)
    assert len(parts) >= 4 and all(len(part) < 8000 for part in parts)
    joiner = Reassembler()
    results = [joiner.add(part) for part in reversed(parts)]
    assert results[:-1] == [None] * (len(parts) - 1)
    assert unseal(results[-1]) == message
    assert not joiner.partial


def test_forwarded_messages_that_are_unsealed_stale_or_replayed_are_refused(keyed, monkeypatch):
    guard = ReplayGuard()
    sealed = seal({"op": "deploy", "args": {}})
    assert unseal(sealed, guard) == {"op": "deploy", "args": {}}
    with pytest.raises(envelope.Refused, match="replayed"):
        unseal(sealed, guard)  # the same NOTIFY played again
    plain = "p" + msgspec.json.encode({"at": time.time(), "n": "x", "m": {"op": "x"}}).decode()
    with pytest.raises(envelope.Refused, match="not sealed"):
        unseal(plain, guard)  # anyone with SQL access could send this
    later = time.time() + envelope.MAX_AGE_S + 1
    monkeypatch.setattr(envelope.time, "time", lambda: later)
    with pytest.raises(envelope.Refused, match="stale"):
        unseal(sealed, ReplayGuard())  # captured a minute ago, replayed to a fresh process


def test_step_statuses_cover_apply_and_rollback():
    assert events.step_status(p.StepStarted(deployment_id=1, step="a")) == "running"
    assert events.step_status(p.StepFinished(deployment_id=1, step="a", ok=True)) == "succeeded"
    assert events.step_status(p.StepFinished(deployment_id=1, step="a", ok=False)) == "failed"
    rollback = p.StepStarted(deployment_id=1, step="a", action="rollback")
    assert events.step_status(rollback) == "rolling_back"
    done = p.StepFinished(deployment_id=1, step="a", action="rollback", ok=True)
    assert events.step_status(done) == "rolled_back"


def test_usage_is_in_cores_and_megabytes():
    metrics = p.NodeMetrics(
        capacity=p.NodeCapacity(cpus=4, memory_mb=8000),
        cpu_busy_percent=25.0,
        memory_available_mb=6000,
        disk_total_mb=100,
        disk_free_mb=40,
        docker="ok",
        allocated=p.Limits(cpu=1.5, memory_mb=512),
    )
    usage = events.usage_of(metrics)
    assert usage["cpu_used"] == 1.0 and usage["memory_used_mb"] == 2000
    assert usage["cpu_allocated"] == 1.5 and usage["memory_allocated_mb"] == 512
