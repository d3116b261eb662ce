"""Issue 17's burst: 100 push notifications for 100 different pull requests within 10 s on one
node with room for them: are all 100 previews running, none lost, none doubled?

Starts its own `shoal up` (embedded PostgreSQL, worker, Caddy, a local agent on dockerd) in a
temp dir and a local docker-registry holding `bench/pv:pr-1` … `pr-100` (one busybox httpd
image under 100 tags), adds a registry preview rule (`pr-{number}`), then sends the 100
notifications to `POST /api/v1/previews/push` at once and watches the public API and the
ingress only. The node's CPU overcommit is raised to 4 (2 cores x 4 = 8 CPUs for 100 x 0.05).
Prints numbers:
    python bench/previews_burst.py [--count 100]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from deploy_click_to_reachable import (  # noqa: E402
    DOCKER,
    Bench,
    percentile,
    start_registry,
    wait,
)

from shoaltest.agent import remove_labelled  # noqa: E402
from shoaltest.browser import running_shoal_up  # noqa: E402
from shoaltest.ports import free_port  # noqa: E402

SECRET = "bench-push-secret"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def fill_registry(host: str, tmp: Path, count: int) -> None:
    """One image pushed once, then its manifest put under pr-1 … pr-N (no layer moves)."""
    subprocess.run(
        ["bash", str(REPO / "build/base-images/busybox.sh")], check=True, capture_output=True
    )
    build = tmp / "img"
    build.mkdir()
    (build / "Dockerfile").write_text(
        "FROM shoal-test/busybox:latest\n"
        "RUN mkdir -p /www && echo 'preview' > /www/index.html\n"
        'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
    )
    ref = f"{host}/bench/pv:base"
    subprocess.run([DOCKER, "build", "-q", "-t", ref, str(build)], check=True, capture_output=True)
    subprocess.run([DOCKER, "push", ref], check=True, capture_output=True)
    manifest = httpx.get(
        f"http://{host}/v2/bench/pv/manifests/base", headers={"Accept": MANIFEST}
    ).content
    for n in range(1, count + 1):
        put = httpx.put(
            f"http://{host}/v2/bench/pv/manifests/pr-{n}",
            content=manifest,
            headers={"Content-Type": MANIFEST},
        )
        put.raise_for_status()


def set_up(bench: Bench, host: str, url: str) -> None:
    env = wait(
        lambda: next(
            (e for e in bench.ok(bench.api.get("/environments")) if e["name"] == "local"), None
        ),
        30,
    )
    bench.env_id = env["id"]
    node = wait(
        lambda: next(
            (
                n
                for n in bench.ok(bench.api.get(f"/environments/{env['id']}/nodes"))
                if n["status"] == "online"
            ),
            None,
        ),
        60,
        0.2,
    )
    bench.ok(bench.api.patch(f"/nodes/{node['id']}", json={"cpu_overcommit": 4.0}))
    reg = bench.ok(
        bench.api.post(
            "/registries",
            json={"name": "bench", "url": f"http://{host}", "username": "", "password": ""},
        )
    )
    svc = bench.ok(
        bench.api.post(
            "/services",
            json={
                "name": "pv",
                "registry_id": reg["id"],
                "image": "bench/pv",
                "tag_mode": "selectable",
                "tag_pattern": "pr-*",
                "port": 8080,
                "health_check": {"kind": "http", "path": "/"},
                "cpu": 0.02,
                "memory_mb": 16,
            },
        )
    )
    bench.project = bench.ok(
        bench.api.post("/projects", json={"name": "burst", "cpu": 0.05, "memory_mb": 32})
    )
    node_graph = {"id": "web", "kind": "service", "config": {"service_id": svc["id"]}}
    bench.ok(
        bench.api.put(
            f"/projects/{bench.project['id']}/pipeline",
            json={"nodes": [node_graph], "edges": [], "layout": {}},
        )
    )
    rule = {
        "environment_id": env["id"],
        "forge": "registry",
        "registry_repository": "bench/pv",
        "tag_templates": {"web": "pr-{number}"},
        "webhook_secret": SECRET,
    }
    bench.ok(bench.api.post(f"/projects/{bench.project['id']}/preview-rules", json=rule))
    bench.push_url = f"{url}/api/v1/previews/push"


def deployments(bench: Bench) -> list[dict]:
    return bench.ok(
        bench.api.get("/deployments", params={"project_id": bench.project["id"], "limit": 1000})
    )


def measure(bench: Bench, count: int) -> None:
    hook = httpx.Client(timeout=60, headers={"Authorization": f"Bearer {SECRET}"})

    def send(n: int) -> tuple[int, float, int]:
        body = {"repository": "bench/pv", "tag": f"pr-{n}", "delivery_id": f"burst-{n}"}
        response = hook.post(bench.push_url, json=body)
        return n, time.monotonic(), response.status_code

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        sent = list(pool.map(send, range(1, count + 1)))
    sent_in = time.monotonic() - start
    refused = [n for n, _, code in sent if code != 200]
    sent_at = {f"pr-{n}": at for n, at, _ in sent}
    running_at: dict[str, float] = {}
    deadline = start + 900
    while time.monotonic() < deadline and len(running_at) < count:
        now = time.monotonic()
        for dep in deployments(bench):
            if dep["status"] == "running" and dep["name"] not in running_at:
                running_at[dep["name"]] = now
        if len(running_at) < count:
            time.sleep(0.5)
    every = deployments(bench)
    names = [d["name"] for d in every]
    doubled = sorted({n for n in names if names.count(n) > 1})
    lost = sorted(set(sent_at) - set(names), key=lambda n: int(n[3:]))
    failed = [d["name"] for d in every if d["status"] == "failed"]
    reachable = sum(bench.reachable(d) for d in every if d["status"] == "running")
    lags = [running_at[name] - sent_at[name] for name in running_at]
    print(f"{count} push notifications sent in {sent_in:.2f} s ({len(refused)} refused)")
    print(
        f"running: {len(running_at)}/{count} after {max(running_at.values()) - start:.1f} s; "
        f"failed {len(failed)}; deployments made {len(every)}; doubled {len(doubled)}; "
        f"lost {len(lost)}; URLs answering through Caddy {reachable}/{len(running_at)}"
    )
    if lags:
        print(
            f"notification → running: p50 {statistics.median(lags):.1f} s, "
            f"p90 {percentile(lags, 0.9):.1f} s, max {max(lags):.1f} s"
        )
    if doubled or lost or failed:
        print(f"doubled {doubled[:10]} lost {lost[:10]} failed {failed[:10]}")
    for dep in every:
        bench.api.delete(f"/deployments/{dep['id']}")
    # The agent removes them; the leftovers sweep afterwards must not race it.
    wait(lambda: all(d["status"] == "deleted" for d in deployments(bench)), 600, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        registry, host = start_registry(tmp)
        try:
            fill_registry(host, tmp, args.count)
            listen = f"127.0.0.1:{free_port()}"
            with running_shoal_up(
                SHOAL_LOCAL_AGENT="true", SHOAL_LOCAL_AGENT_LISTEN=listen, SHOAL_LOG_LEVEL="warning"
            ) as up:
                token = up.create_admin("bench", "bench-password-1")
                bench = Bench(up.url, token, up.ingress_port)
                try:
                    set_up(bench, host, up.url)
                    measure(bench, args.count)
                finally:
                    remove_labelled((up.data_dir / "agent" / "agent-id").read_text().strip())
        finally:
            registry.terminate()
            registry.wait(timeout=10)


if __name__ == "__main__":
    main()
