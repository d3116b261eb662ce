"""Running a plugin locally the way the agent does: one document in, one object out, a timeout.

The plugin runs as a child process (its code with this interpreter, or its image through
``docker run --rm -i``); its stderr passes straight through, its stdout is checked as the
runner checks it, and the verdict comes back as a LocalResult.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._types import EXIT_OK


@dataclass(frozen=True, slots=True)
class LocalResult:
    exit_code: int | None  # None: killed by the timeout
    stdout: str
    document: dict[str, Any] | None  # the stdout object, None if stdout was not one
    problem: str  # "" when the step succeeded, else why it failed

    @property
    def ok(self) -> bool:
        return not self.problem


def judge(exit_code: int | None, stdout: str) -> LocalResult:
    """The runner's verdict on what a plugin did (agent/plugins.py judges the same way)."""
    if not stdout.strip() and exit_code == EXIT_OK:
        # The agent takes an empty stdout after exit 0 as no outputs.
        return LocalResult(exit_code, stdout, {"outputs": {}}, "")
    try:
        document = json.loads(stdout)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        problem = "stdout is not one JSON object"
        return LocalResult(exit_code, stdout, None, problem if exit_code is not None else "timeout")
    if exit_code is None:
        return LocalResult(exit_code, stdout, document, "timeout")
    if exit_code != EXIT_OK:
        error = document.get("error") if isinstance(document.get("error"), dict) else {}
        message = error.get("message", "no error message")
        return LocalResult(exit_code, stdout, document, f"exit {exit_code}: {message}")
    if not isinstance(document.get("outputs", {}), dict):
        return LocalResult(exit_code, stdout, document, "outputs is not an object")
    return LocalResult(exit_code, stdout, document, "")


def docker_command() -> str:
    return os.environ.get("SHOAL_DOCKER", "docker")


def image_command(image: str, *, network: str | None = None, name: str | None = None) -> list[str]:
    command = [docker_command(), "run", "--rm", "-i", "--init"]
    if network:
        command += ["--network", network]
    if name:
        command += ["--name", name]
    return [*command, "--label", "org.shoal.plugin-run=local", image]


def run_local(
    command: list[str],
    document: dict[str, Any],
    *,
    timeout_s: float,
    on_timeout: Callable[[], None] | None = None,
) -> LocalResult:
    """Start ``command``, write ``document`` on its stdin, wait at most ``timeout_s``.

    ``on_timeout`` stops what killing the child cannot (a container outlives its docker client).
    """
    stdin = json.dumps(document).encode()
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE) as process:
        try:
            stdout, _ = process.communicate(stdin, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            if on_timeout is not None:
                on_timeout()
            stdout, _ = process.communicate()
            return judge(None, stdout.decode("utf-8", errors="replace"))
    return judge(process.returncode, stdout.decode("utf-8", errors="replace"))
