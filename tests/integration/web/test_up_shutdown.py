"""`shoal up` stops what it started however it ends (Ctrl-C, kill, a closed terminal, a start
that fails), says what keeps running, and after a SIGKILL the next `up` takes over the
PostgreSQL it left. Real `shoal up` processes, each with its own data dir; a test signals only
processes it started itself."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from shoaltest.agent import remove_labelled
from shoaltest.browser import REPO, SHOAL_CLI, free_port, running_shoal_up


def alive(pid: int) -> bool:
    """Running, and not a zombie (a daemonized postgres is reaped by whoever is PID 1)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().split("\n", 1)[0])


def postmasters_of(data_dir: Path) -> list[int]:
    """Live postgres servers started on this test's own data dir (the path is unique)."""
    pgdata = str((data_dir / "postgres").resolve())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"/postgres") and pgdata.encode() in args:
            if alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def wait_gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop_ours(data_dir: Path) -> None:
    """After a failed assertion: stop the servers this test's `up` left on its data dir."""
    for pid in postmasters_of(data_dir):
        os.kill(pid, signal.SIGINT)
        wait_gone(pid, 20)
    caddy_pid = data_dir / "caddy" / "caddy.pid"
    if caddy_pid.exists():
        pid = int(caddy_pid.read_text())
        args = Path(f"/proc/{pid}/cmdline").read_bytes() if alive(pid) else b""
        if str(data_dir / "caddy").encode() in args:
            os.kill(pid, signal.SIGTERM)


@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name
)
def test_up_stops_its_postgres_whichever_signal_ends_it(tmp_path, signum):
    data = tmp_path / "data"
    try:
        with running_shoal_up(SHOAL_DATA_DIR=str(data)) as shoal:
            pid = postmaster_pid(data)
            assert alive(pid)
            shoal.process.send_signal(signum)
            shoal.process.wait(timeout=60)
            said = shoal.output.read_text()
        assert not alive(pid), f"PostgreSQL {pid} still runs after {signum.name}:\n{said}"
        assert "Shoal stopped: the web server with its worker" in said
        assert "the embedded PostgreSQL" in said
        assert "Traceback" not in said
    finally:
        stop_ours(data)


@pytest.mark.docker
def test_up_with_its_agent_says_the_containers_keep_running(tmp_path):
    data = tmp_path / "data"
    try:
        with running_shoal_up(
            SHOAL_DATA_DIR=str(data),
            SHOAL_LOCAL_AGENT="true",
            SHOAL_LOCAL_AGENT_LISTEN=f"127.0.0.1:{free_port()}",
        ) as shoal:
            pid = postmaster_pid(data)
            shoal.process.send_signal(signal.SIGTERM)
            shoal.process.wait(timeout=60)
            said = shoal.output.read_text()
        agent_id = (data / "agent" / "agent-id").read_text().strip()
        assert not alive(pid)
        assert "the local agent" in said and "Deployment containers keep running" in said
        assert f"docker ps -aq --filter label=shoal.node={agent_id}" in said
    finally:
        stop_ours(data)
        if (data / "agent" / "agent-id").exists():
            remove_labelled((data / "agent" / "agent-id").read_text().strip())


def test_after_a_sigkill_the_next_up_takes_over_the_left_postgres(tmp_path):
    data = tmp_path / "data"
    try:
        with running_shoal_up(SHOAL_DATA_DIR=str(data)) as first:
            left = postmaster_pid(data)
            first.process.kill()
            first.process.wait(timeout=10)
        assert alive(left)  # nothing can stop it on a SIGKILL: the next `up` has to
        with running_shoal_up(SHOAL_DATA_DIR=str(data)) as second:
            assert not alive(left)  # stopped cleanly, then started afresh for this run
            assert "left running by an earlier run" in second.output.read_text()
            fresh = postmaster_pid(data)
            second.process.send_signal(signal.SIGINT)
            second.process.wait(timeout=60)
        assert not alive(fresh)
        assert postmasters_of(data) == []
    finally:
        stop_ours(data)


def test_a_postmaster_pid_naming_another_program_is_not_trusted(tmp_path):
    """After a crash or reboot the recorded pid may belong to anything: `up` must not believe
    PostgreSQL runs (it would hand out a socket nobody serves) nor touch that process."""
    data = tmp_path / "data"
    with running_shoal_up(SHOAL_DATA_DIR=str(data)):
        recorded = (data / "postgres" / "postmaster.pid").read_text().split("\n")
    assert not (data / "postgres" / "postmaster.pid").exists()
    stranger = subprocess.Popen(["sleep", "300"])
    try:
        recorded[0] = str(stranger.pid)
        (data / "postgres" / "postmaster.pid").write_text("\n".join(recorded))
        with running_shoal_up(SHOAL_DATA_DIR=str(data)) as shoal:
            assert postmaster_pid(data) != stranger.pid
            assert "stale postmaster.pid" in shoal.output.read_text()
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()
        stop_ours(data)


def test_a_start_that_fails_stops_postgres_too(tmp_path):
    data = tmp_path / "data"
    env = {
        **os.environ,
        "SHOAL_DATA_DIR": str(data),
        "SHOAL_INGRESS_BIND": f"127.0.0.1:{free_port()}",
        "SHOAL_LOCAL_AGENT": "false",
    }
    env.pop("SHOAL_DATABASE_URL", None)
    with socket.socket() as taken:  # the web port is in use: uvicorn cannot start
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env["SHOAL_BIND"] = f"127.0.0.1:{taken.getsockname()[1]}"
        try:
            ended = subprocess.run(
                [*SHOAL_CLI, "up"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
            )
            assert ended.returncode != 0
            assert (data / "postgres" / "PG_VERSION").exists()  # it did get that far
            assert postmasters_of(data) == []
            assert "the embedded PostgreSQL" in ended.stdout
        finally:
            stop_ours(data)
