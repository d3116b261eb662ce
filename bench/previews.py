"""Issue 17's preview latencies, end to end on this machine: a signed GitHub `pull_request`
webhook (GitHub's published `opened` example, one new pull request number per run) →
(a) every preview URL answering through Caddy, (b) the pull request's comment updated with
the URLs (status running), with warm images.

Starts its own `shoal up` (embedded PostgreSQL, worker, Caddy, a local agent on dockerd) in a
temp dir, a local docker-registry holding `bench/pv:pr-1` … `pr-N`, and a local HTTP server
standing in for GitHub's API (the rule's `api_base_url`). Talks to Shoal through its public
API, the webhook endpoint and the ingress only. Prints numbers:
    python bench/previews.py [--runs 10]
SHOAL_LOG_LEVEL=info BENCH_LOG=/tmp/pv.log keeps the control plane's log (job durations) there.

Issue 17, 10 runs on the loaded 2-core machine (p50 / p90): webhook answered 0.03 / 0.05 s;
deployment created 0.08 / 0.13 s; every URL answering 2.08 / 2.34 s; comment updated
2.10 / 2.42 s (before the image check asked each image once and trusted the tag cache, and
before this script stopped polling the whole deployment list: 4.12 / 5.22 s and 4.13 / 5.22 s).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from deploy_click_to_reachable import Bench, percentile, start_registry, wait  # noqa: E402
from previews_burst import fill_registry  # noqa: E402

from shoaltest.agent import remove_labelled  # noqa: E402
from shoaltest.browser import running_shoal_up  # noqa: E402
from shoaltest.forge_api import ForgeApi, forge_api  # noqa: E402
from shoaltest.ports import free_port  # noqa: E402

SECRET = "bench-webhook-secret"
EXAMPLE = REPO / "tests" / "data" / "forges" / "github" / "pull_request.opened.json"
SERVICES = ("web", "api")


def set_up(bench: Bench, host: str, forge: ForgeApi) -> None:
    env = wait(
        lambda: next(
            (e for e in bench.ok(bench.api.get("/environments")) if e["name"] == "local"), None
        ),
        30,
    )
    wait(
        lambda: any(
            n["status"] == "online"
            for n in bench.ok(bench.api.get(f"/environments/{env['id']}/nodes"))
        ),
        60,
        0.2,
    )
    reg = bench.ok(
        bench.api.post(
            "/registries",
            json={"name": "bench", "url": f"http://{host}", "username": "", "password": ""},
        )
    )
    nodes = []
    for name in SERVICES:
        svc = bench.ok(
            bench.api.post(
                "/services",
                json={
                    "name": f"pv-{name}",
                    "registry_id": reg["id"],
                    "image": "bench/pv",
                    "tag_mode": "selectable",
                    "tag_pattern": "pr-*",
                    "port": 8080,
                    "health_check": {"kind": "http", "path": "/"},
                    "cpu": 0.05,
                    "memory_mb": 32,
                },
            )
        )
        nodes.append({"id": name, "kind": "service", "config": {"service_id": svc["id"]}})
    bench.project = bench.ok(
        bench.api.post("/projects", json={"name": "hello", "cpu": 0.2, "memory_mb": 128})
    )
    bench.ok(
        bench.api.put(
            f"/projects/{bench.project['id']}/pipeline",
            json={"nodes": nodes, "edges": [], "layout": {}},
        )
    )
    rule = {
        "environment_id": env["id"],
        "forge": "github",
        "repository": "Codertocat/Hello-World",
        "tag_templates": {name: "pr-{number}" for name in SERVICES},
        "webhook_secret": SECRET,
        "api_base_url": forge.url,
        "api_token": "bench-forge-token",
    }
    bench.ok(bench.api.post(f"/projects/{bench.project['id']}/preview-rules", json=rule))


def webhook(number: int) -> tuple[bytes, dict[str, str]]:
    """GitHub's example, as that pull request number (re-signed: the secret is ours)."""
    payload = json.loads(EXAMPLE.read_text())
    payload["number"] = payload["pull_request"]["number"] = number
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": f"bench-{number}-{time.time_ns()}",
        "X-Hub-Signature-256": signature,
        "Content-Type": "application/json",
    }


def preview_id(bench: Bench, name: str) -> int | None:
    """The preview's deployment id, from the project's few newest deployments (each run
    deletes its own, so it is among them): a small listing, not the whole list per poll."""
    listed = bench.ok(
        bench.api.get("/deployments", params={"project_id": bench.project["id"], "limit": 5})
    )
    return next((d["id"] for d in listed if d["name"] == name and d["status"] != "deleted"), None)


def running(bench: Bench, deployment_id: int) -> dict | None:
    """The one deployment, when running (polled as deploy_click_to_reachable.py does)."""
    dep = bench.ok(bench.api.get(f"/deployments/{deployment_id}"))
    return dep if dep["status"] == "running" else None


def commented(forge: ForgeApi, number: int) -> bool:
    posted = {
        c.path for c in forge.comment_calls() if c.path.endswith(f"/issues/{number}/comments")
    }
    for call in forge.comment_calls():
        body = call.body.get("body", "")
        if (call.path in posted or call.method == "PATCH") and f"pr-{number}" in body:
            if "running" in body and all(f"| {s} |" in body for s in SERVICES):
                return True
    return False


def measure(bench: Bench, forge: ForgeApi, url: str, numbers: range) -> None:
    hook = httpx.Client(timeout=30)
    to_url, to_comment, to_created, answered = [], [], [], []
    for number in numbers:
        body, headers = webhook(number)
        start, sent_at = time.monotonic(), time.time()
        answer = hook.post(f"{url}/api/v1/previews/webhooks/github", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        answered.append(time.monotonic() - start)  # signature, rule, delivery, preview row
        found = wait(lambda n=number: preview_id(bench, f"pr-{n}"), 60, 0.05)
        dep = wait(lambda i=found: running(bench, i), 120, 0.02)
        wait(lambda d=dep: bench.reachable(d), 30, 0.02)
        to_url.append(time.monotonic() - start)
        # Where the time goes: the deployment row is made by the preview job (same clock).
        to_created.append(datetime.fromisoformat(dep["created_at"]).timestamp() - sent_at)
        wait(lambda n=number: commented(forge, n), 60, 0.02)
        to_comment.append(time.monotonic() - start)
        bench.api.delete(f"/deployments/{dep['id']}")
        wait(
            lambda d=dep: bench.ok(bench.api.get(f"/deployments/{d['id']}"))["status"] == "deleted",
            60,
            0.1,
        )
    results = (
        ("webhook answered", answered),
        ("deployment created (preview job)", to_created),
        ("every URL answering", to_url),
        ("comment updated", to_comment),
    )
    for label, values in results:
        print(
            f"webhook → {label}: p50 {statistics.median(values):.2f} s, "
            f"p90 {percentile(values, 0.9):.2f} s, max {max(values):.2f} s ({len(values)} runs)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        registry, host = start_registry(tmp)
        try:
            fill_registry(host, tmp, args.runs + 1)
            listen = f"127.0.0.1:{free_port()}"
            with (
                forge_api() as forge,
                running_shoal_up(
                    SHOAL_LOCAL_AGENT="true",
                    SHOAL_LOCAL_AGENT_LISTEN=listen,
                    SHOAL_LOG_LEVEL=os.environ.get("SHOAL_LOG_LEVEL", "warning"),
                ) as up,
            ):
                token = up.create_admin("bench", "bench-password-1")
                bench = Bench(up.url, token, up.ingress_port)
                try:
                    set_up(bench, host, forge)
                    # Warm: the image is pulled once before the timed runs.
                    measure(bench, forge, up.url, range(1, 2))
                    print("timed runs (pull requests 2 …):")
                    measure(bench, forge, up.url, range(2, args.runs + 2))
                finally:
                    if os.environ.get("BENCH_LOG"):  # where the time went: SHOAL_LOG_LEVEL=info
                        Path(os.environ["BENCH_LOG"]).write_bytes(up.output.read_bytes())
                        agent_log = up.data_dir / "local-agent.log"
                        if agent_log.exists():
                            kept = Path(os.environ["BENCH_LOG"] + ".agent")
                            kept.write_bytes(agent_log.read_bytes())
                    remove_labelled((up.data_dir / "agent" / "agent-id").read_text().strip())
        finally:
            registry.terminate()
            registry.wait(timeout=10)


if __name__ == "__main__":
    main()
