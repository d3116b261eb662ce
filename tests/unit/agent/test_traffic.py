"""Container byte counters from /proc (issue 20): loopback left out, the pid checked on every
read, and an older control plane or agent still decodes the metrics."""

from __future__ import annotations

from pathlib import Path

import msgspec

from agent.protocol import DeploymentUsage, Limits
from agent.runtime.traffic import NetCounters, bytes_of_net_dev

NET_DEV = """\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  900000     10    0    0    0     0          0         0   900000     10    0    0    0     0       0          0
  eth0:    1500     12    0    0    0     0          0         0     2500     11    0    0    0     0       0          0
  eth1:     100      1    0    0    0     0          0         0        0      0    0    0    0     0       0          0
"""  # noqa: E501


def test_bytes_are_received_plus_sent_over_every_interface_but_loopback():
    assert bytes_of_net_dev(NET_DEV) == 1500 + 2500 + 100


class FakeDocker:
    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.inspected = pids, []

    def run(self, function):
        class Api:
            def inspect_container(_self, container_id: str) -> dict:
                self.inspected.append(container_id)
                return {"State": {"Pid": self.pids.get(container_id, 0)}}

        class Client:
            api = Api()

        return function(Client())


def _process(proc: Path, pid: int, container_id: str, net_dev: str = NET_DEV) -> None:
    (proc / str(pid) / "net").mkdir(parents=True)
    (proc / str(pid) / "cgroup").write_text(f"12:memory:/docker/{container_id}\n")
    (proc / str(pid) / "net" / "dev").write_text(net_dev)


def test_the_pid_is_looked_up_once_and_again_when_the_container_restarted(tmp_path: Path):
    docker = FakeDocker({"c1": 41})
    _process(tmp_path, 41, "c1")
    counters = NetCounters(docker, proc=tmp_path)  # type: ignore[arg-type]
    assert counters.read(["c1"]) == {"c1": 4100}
    assert counters.read(["c1"]) == {"c1": 4100}
    assert docker.inspected == ["c1"]
    (tmp_path / "41" / "cgroup").write_text("12:memory:/docker/someone-else\n")  # pid reused
    docker.pids["c1"] = 57
    _process(tmp_path, 57, "c1", NET_DEV.replace("1500", "1600"))
    assert counters.read(["c1"]) == {"c1": 4200}
    assert docker.inspected == ["c1", "c1"]


def test_a_container_it_cannot_see_is_left_out(tmp_path: Path):
    counters = NetCounters(FakeDocker({"c1": 99}), proc=tmp_path)  # type: ignore[arg-type]
    assert counters.read(["c1", "gone"]) == {}


def test_the_byte_count_is_optional_on_the_wire_both_ways():
    old = b'{"containers":1,"cpu_percent":1.0,"memory_mb":2.0,"limits":{"cpu":1.0,"memory_mb":64}}'
    assert msgspec.json.decode(old, type=DeploymentUsage).net_bytes is None
    new = DeploymentUsage(
        containers=1, cpu_percent=1.0, memory_mb=2.0, limits=Limits(cpu=1.0, memory_mb=64),
        net_bytes=5,
    )  # fmt: skip

    class Older(msgspec.Struct):  # a control plane that predates the field ignores it
        containers: int

    assert msgspec.json.decode(msgspec.json.encode(new), type=Older).containers == 1
