"""Deployments as a user gets them, end to end on this machine: click-to-reachable, teardown,
and bursts of simultaneous requests on one node.

Starts its own `shoal up` (embedded PostgreSQL, Caddy, a local agent on dockerd) in a temp
dir and a local docker-registry, builds a 3-service busybox project offline, then measures
through the public API and the ingress only. Prints numbers:
    python bench/deploy_click_to_reachable.py [--runs 10] [--only-logs]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from shoaltest.browser import running_shoal_up  # noqa: E402
from shoaltest.ports import free_port  # noqa: E402

DOCKER = "/usr/bin/docker"


def wait(predicate, within: float, every: float = 0.05):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("condition not met")


def start_registry(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    config = tmp / "registry.yml"
    config.write_text(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {tmp}/registry\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    host = f"127.0.0.1:{port}"
    wait(lambda: _answers(f"http://{host}/v2/"), 10)
    return process, host


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


def push_images(host: str, tmp: Path) -> None:
    subprocess.run(
        ["bash", str(REPO / "build/base-images/busybox.sh")], check=True, capture_output=True
    )
    for tag in ("v1", "v2"):
        build = tmp / f"img-{tag}"
        build.mkdir()
        (build / "Dockerfile").write_text(
            "FROM shoal-test/busybox:latest\n"
            f"RUN mkdir -p /www && echo 'bench {tag}' > /www/index.html\n"
            'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
        )
        ref = f"{host}/bench/web:{tag}"
        subprocess.run(
            [DOCKER, "build", "-q", "-t", ref, str(build)], check=True, capture_output=True
        )
        subprocess.run([DOCKER, "push", ref], check=True, capture_output=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, url: str, token: str, ingress_port: int) -> None:
        self.api = httpx.Client(
            base_url=f"{url}/api/v1", timeout=60, headers={"Authorization": f"Bearer {token}"}
        )
        self.ingress = f"http://127.0.0.1:{ingress_port}/"

    def ok(self, response: httpx.Response) -> dict:
        if response.status_code >= 400:
            raise RuntimeError(f"{response.status_code} {response.text}")
        return response.json()

    def set_up(self, registry_host: str) -> None:
        env = wait(
            lambda: next(
                (e for e in self.ok(self.api.get("/environments")) if e["name"] == "local"), None
            ),
            30,
        )
        self.env_id = env["id"]
        wait(
            lambda: any(
                n["status"] == "online"
                for n in self.ok(self.api.get(f"/environments/{env['id']}/nodes"))
            ),
            60,
            0.2,
        )
        reg = self.ok(
            self.api.post(
                "/registries",
                json={
                    "name": "bench",
                    "url": f"http://{registry_host}",
                    "username": "",
                    "password": "",
                },
            )
        )
        self.registry_id = reg["id"]
        svc = self.ok(
            self.api.post(
                "/services",
                json={
                    "name": "web",
                    "registry_id": reg["id"],
                    "image": "bench/web",
                    "tag_mode": "selectable",
                    "tag_pattern": "v*",
                    "port": 8080,
                    "health_check": {"kind": "http", "path": "/"},
                    "cpu": 0.02,
                    "memory_mb": 16,
                },
            )
        )
        self.project = self.ok(
            self.api.post("/projects", json={"name": "bench", "cpu": 0.09, "memory_mb": 64})
        )
        nodes = [
            {"id": n, "kind": "service", "config": {"service_id": svc["id"]}}
            for n in ("web", "api", "docs")
        ]
        self.service_id = svc["id"]
        self.ok(
            self.api.put(
                f"/projects/{self.project['id']}/pipeline",
                json={"nodes": nodes, "edges": [], "layout": {}},
            )
        )

    def tight_project(self, cpu: float, memory_mb: int) -> None:
        """A one-service project whose memory limit alone decides how many fit on the node."""
        self.project = self.ok(
            self.api.post("/projects", json={"name": "tight", "cpu": cpu, "memory_mb": memory_mb})
        )
        node = {"id": "web", "kind": "service", "config": {"service_id": self.service_id}}
        self.ok(
            self.api.put(
                f"/projects/{self.project['id']}/pipeline",
                json={"nodes": [node], "edges": [], "layout": {}},
            )
        )

    def create(self, name: str) -> httpx.Response:
        return self.api.post(
            "/deployments",
            json={
                "project_id": self.project["id"],
                "environment_id": self.env_id,
                "name": name,
                "tags": {"web": "v2", "api": "v1", "docs": "v1"},
            },
        )

    def status(self, dep_id: int) -> dict:
        return self.ok(self.api.get(f"/deployments/{dep_id}"))

    def reachable(self, dep: dict) -> bool:
        for url in dep["urls"].values():
            host = url.split("//")[1].split(":")[0]
            try:
                if httpx.get(self.ingress, headers={"Host": host}, timeout=2).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
        return True

    def click_to_reachable(self, name: str) -> tuple[float, int]:
        start = time.monotonic()
        dep = self.ok(self.create(name))
        dep = wait(
            lambda: (d := self.status(dep["id"]))["status"] in ("running", "failed") and d,
            120,
            0.05,
        )
        if dep["status"] != "running":
            raise RuntimeError(dep["error"])
        wait(lambda: self.reachable(dep), 30, 0.02)
        return time.monotonic() - start, dep["id"]

    def teardown(self, dep_id: int) -> float:
        urls = self.status(dep_id)["urls"]
        start = time.monotonic()
        self.ok(self.api.delete(f"/deployments/{dep_id}"))
        wait(lambda: self.status(dep_id)["status"] == "deleted", 60, 0.05)
        host = next(iter(urls.values())).split("//")[1].split(":")[0]
        wait(lambda: httpx.get(self.ingress, headers={"Host": host}).status_code == 404, 30, 0.05)
        return time.monotonic() - start


CHATTY = (
    "sh -c 'httpd -p 8080 -h /www; i=0; while :; do n=0; while [ $n -lt 100 ]; do "
    'read up idle < /proc/uptime; echo "$up line $i"; i=$((i+1)); n=$((n+1)); done; '
    "usleep 45000; done'"
)


def log_stream(bench: Bench, seconds: float) -> tuple[float, list[float]]:
    """A service printing ~2,000 lines/s, each stamped with the kernel's uptime (the same clock
    inside the container and here): lines/s received over SSE and each line's lag."""
    svc = bench.ok(
        bench.api.post(
            "/services",
            json={
                "name": "chatty",
                "registry_id": bench.registry_id,
                "image": "bench/web",
                "tag_mode": "pinned",
                "tag": "v1",
                "port": 8080,
                "command": CHATTY,
                "health_check": {"kind": "tcp"},
                "cpu": 0.5,
                "memory_mb": 64,
            },
        )
    )
    project = bench.ok(
        bench.api.post("/projects", json={"name": "chatty", "cpu": 0.5, "memory_mb": 64})
    )
    node = {"id": "chatty", "kind": "service", "config": {"service_id": svc["id"]}}
    bench.ok(
        bench.api.put(
            f"/projects/{project['id']}/pipeline", json={"nodes": [node], "edges": [], "layout": {}}
        )
    )
    dep = bench.ok(
        bench.api.post(
            "/deployments",
            json={"project_id": project["id"], "environment_id": bench.env_id, "name": "chatty"},
        )
    )
    wait(lambda: bench.status(dep["id"])["status"] == "running", 60, 0.2)
    lags: list[float] = []
    url = f"/deployments/{dep['id']}/logs"
    params = {"service": "chatty", "follow": "true", "tail": "0"}
    with bench.api.stream("GET", url, params=params, timeout=30) as response:
        start = time.monotonic()
        for line in response.iter_lines():
            if not line.startswith("data:") or '"line"' not in line:
                continue
            stamp = float(json.loads(line[5:])["line"].split()[0])
            now = float(Path("/proc/uptime").read_text().split()[0])
            lags.append(now - stamp)
            if time.monotonic() - start > seconds:
                break
    took = time.monotonic() - start
    bench.api.delete(f"/deployments/{dep['id']}")
    return len(lags) / took, lags


def burst(bench: Bench, prefix: str, count: int) -> tuple[list[int], list[str], float]:
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        responses = list(pool.map(lambda i: bench.create(f"{prefix}{i}"), range(count)))
    created = [r.json()["id"] for r in responses if r.status_code == 201]
    refused = [r.json()["detail"] for r in responses if r.status_code != 201]
    wait(lambda: all(bench.status(i)["status"] in ("running", "failed") for i in created), 180, 0.5)
    return created, refused, time.monotonic() - start


def measure(bench: Bench, registry_host: str, runs: int, only_logs: bool = False) -> None:
    bench.set_up(registry_host)
    if only_logs:
        report_log_stream(bench)
        return
    _, warm_id = bench.click_to_reachable("warm")  # pulls the images once: the rest is warm
    bench.teardown(warm_id)
    reach, tear = [], []
    for i in range(runs):
        took, dep_id = bench.click_to_reachable(f"c{i}")
        reach.append(took)
        tear.append(bench.teardown(dep_id))
    print(
        f"click-to-reachable (3 services, warm images, {runs} runs): "
        f"p50 {statistics.median(reach):.2f} s, p95 {percentile(reach, 0.95):.2f} s"
    )
    print(
        f"teardown (delete → containers, network and routes gone): "
        f"p50 {statistics.median(tear):.2f} s, p95 {percentile(tear, 0.95):.2f} s"
    )
    three_services = bench.project
    node = bench.ok(bench.api.get(f"/environments/{bench.env_id}/nodes"))[0]
    # Memory decides (40 x 0.05 CPU also fills the 2 cores exactly). This step runs before
    # the heavy ones below: the node is this very host, and its sustained CPU load rightly
    # counts against CPU room (DESIGN §4), so after them fewer than 40 may fit by CPU.
    memory = node["capacity"]["memory_mb"]
    each_mb = memory // 40
    bench.tight_project(0.05, each_mb)
    created, refused, took = burst(bench, "t", 50)
    running = sum(bench.status(i)["status"] == "running" for i in created)
    print(
        f"50 at once, room for 40 by memory ({memory} MB / {each_mb} MB each): "
        f"{len(created)} accepted ({running} running after {took:.1f} s), "
        f"{len(refused)} refused with the capacity error; allocated "
        f"{len(created) * each_mb} of {memory} MB"
    )
    if refused:
        print(f"  refusal: {refused[0]}")
    for dep_id in created:
        bench.api.delete(f"/deployments/{dep_id}")
    wait(lambda: all(bench.status(i)["status"] == "deleted" for i in created), 300, 0.5)
    bench.project = three_services
    created, refused, took = burst(bench, "b", 20)
    running = sum(bench.status(i)["status"] == "running" for i in created)
    print(f"20 at once: {running}/20 running after {took:.1f} s, {len(refused)} refused")
    for dep_id in created:
        bench.api.delete(f"/deployments/{dep_id}")
    wait(lambda: all(bench.status(i)["status"] == "deleted" for i in created), 180, 0.5)
    report_log_stream(bench)


def report_log_stream(bench: Bench) -> None:
    rate, lags = log_stream(bench, 10)
    print(
        f"log streaming of one chatty service over SSE: {rate:.0f} lines/s received, lag "
        f"p50 {statistics.median(lags):.2f} s, p95 {percentile(lags, 0.95):.2f} s "
        "(kernel uptime stamps, 10 ms resolution)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--only-logs", action="store_true", help="only the log streaming step")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="shoal-bench-deploy-"))
    registry, host = start_registry(tmp)
    try:
        push_images(host, tmp)
        with running_shoal_up(
            SHOAL_LOCAL_AGENT="true",
            SHOAL_LOCAL_AGENT_LISTEN=f"127.0.0.1:{free_port()}",
            SHOAL_LOG_LEVEL="warning",
        ) as shoal:
            token = shoal.create_admin("bench", "bench-password-1")
            measure(Bench(shoal.url, token, shoal.ingress_port), host, args.runs, args.only_logs)
    finally:
        registry.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
