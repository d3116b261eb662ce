"""How long one plugin step takes, end to end, as the agent runs it (`docker run --rm -i`):
create + attach + start + stdin + stdout + wait + remove. Also the SDK's own cost without
Docker (a local Python process). Prints median and p90 over N runs per case.

    .venv/bin/python bench/plugin_roundtrip.py [N]
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker

REPO = Path(__file__).resolve().parents[1]
DOCKER_CLI = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
LABELS = {"org.shoal.bench": "plugin_roundtrip"}
DOCUMENT = {
    "action": "apply",
    "deployment": {"id": 1, "name": "bench", "environment": "bench", "urls": {}},
    "params": {},
    "secrets": {},
    "inputs": {},
}
CASES = {
    # image, base, plugin folder, params
    "python hello (debian-python)": (
        "shoal-bench/plugin-hello:dev", "shoal/debian-python:bookworm", "examples/hello",
        {"name": "bench"},
    ),
    "shell (busybox, sh + awk)": (
        "shoal-bench/plugin-shell:dev", "shoal-test/busybox:latest", "plugins/shell",
        {"script": 'echo "k=v" >> "$SHOAL_OUTPUTS"'},
    ),
}  # fmt: skip


def ensure_images() -> None:
    for script, image in [("busybox.sh", "shoal-test/busybox:latest"),
                          ("debian-python.sh", "shoal/debian-python:bookworm")]:  # fmt: skip
        env = {**os.environ, "DOCKER": DOCKER_CLI}
        subprocess.run(
            ["bash", str(REPO / "build/base-images" / script), image], check=True, env=env
        )
    for image, base, folder, _ in CASES.values():
        subprocess.run(
            [sys.executable, "-m", "shoal_plugin", "build", str(REPO / "plugins-sdk" / folder),
             "--tag", image, "--base", base],
            check=True, capture_output=True, env={**os.environ, "SHOAL_DOCKER": DOCKER_CLI},
        )  # fmt: skip


def one_step(client: docker.DockerClient, image: str, stdin: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    container = client.containers.create(image, stdin_open=True, init=True, labels=LABELS)
    try:
        raw = client.api.attach_socket(
            container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        )._sock
        container.start()

        def write() -> None:
            raw.sendall(stdin)
            raw.shutdown(socket.SHUT_WR)

        threading.Thread(target=write, daemon=True).start()
        buffer, stdout = b"", b""
        while chunk := raw.recv(65536):
            buffer += chunk
        raw.close()
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if buffer[0] == 1:
                stdout += buffer[8 : 8 + size]
            buffer = buffer[8 + size :]
        code = container.wait(timeout=60)["StatusCode"]
    finally:
        container.remove(force=True)
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{image} exited {code}: {stdout!r}")
    return elapsed, json.loads(stdout)


def local_step(stdin: bytes) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(REPO / "plugins-sdk/examples/hello/plugin.py")],
        input=stdin, capture_output=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started


def report(name: str, samples: list[float]) -> None:
    samples.sort()
    p90 = samples[max(0, int(len(samples) * 0.9) - 1)]
    print(
        f"{name:36s} median {statistics.median(samples) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    ensure_images()
    client = docker.from_env(timeout=120)
    print(f"{runs} runs per case")
    hello_stdin = json.dumps({**DOCUMENT, "params": {"name": "bench"}}).encode()
    report(
        "python hello, local process (no docker)", [local_step(hello_stdin) for _ in range(runs)]
    )
    for name, (image, _, _, params) in CASES.items():
        stdin = json.dumps({**DOCUMENT, "params": params}).encode()
        one_step(client, image, stdin)  # warm the page cache
        report(name, [one_step(client, image, stdin)[0] for _ in range(runs)])


if __name__ == "__main__":
    main()
