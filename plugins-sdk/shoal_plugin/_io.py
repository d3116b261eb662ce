"""Reading stdin, writing the one stdout document, and logging to stderr.

stdout belongs to the result alone: while the plugin runs, file descriptor 1 points at stderr,
so a stray ``print()`` or a child process's output becomes a log line instead of corrupting
the JSON the runner reads.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import IO, Any

from ._errors import InvalidInput
from ._types import ACTIONS, Deployment, Invocation

LOGGER_NAME = "shoal_plugin"


def get_logger() -> logging.Logger:
    """The plugin's logger: stderr, one line per record, level from SHOAL_LOG_LEVEL (INFO)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(os.environ.get("SHOAL_LOG_LEVEL", "INFO").upper())
        logger.propagate = False
    return logger


def claim_stdout() -> IO[str]:
    """A writer on the real stdout; fd 1 and ``sys.stdout`` now lead to stderr."""
    sys.stdout.flush()
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(result_fd, "w", encoding="utf-8")


def write_document(stream: IO[str], document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    stream.write(text + "\n")
    stream.flush()


def _object(document: dict[str, Any], key: str, errors: dict[str, str]) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        errors[key] = f"expected object, got {type(value).__name__}"
        return {}
    return value


def parse_invocation(text: str) -> Invocation:
    """The stdin text as an Invocation; InvalidInput names every bad top-level field.

    ``deployment``, ``secrets`` and ``inputs`` may be left out (hand-written test input); the
    agent always sends them.
    """
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidInput({"stdin": f"not JSON: {exc}"}, f"stdin is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidInput({"stdin": "expected a JSON object"})
    errors: dict[str, str] = {}
    action = document.get("action")
    if action not in ACTIONS:
        errors["action"] = f"must be one of {list(ACTIONS)!r}, got {action!r}"
    params = _object(document, "params", errors)
    secrets = _object(document, "secrets", errors)
    inputs = _object(document, "inputs", errors)
    data = _object(document, "data", errors)
    deployment = _parse_deployment(_object(document, "deployment", errors), errors)
    for name, value in secrets.items():
        if not isinstance(value, str):
            errors[f"secrets.{name}"] = "expected string"
    if errors:
        raise InvalidInput(errors)
    return Invocation(action, deployment, params, secrets, inputs, data)


def _parse_deployment(raw: dict[str, Any], errors: dict[str, str]) -> Deployment:
    expected: dict[str, type] = {
        "id": int,
        "name": str,
        "environment": str,
        "urls": dict,
        "pipeline_version": int,
    }
    for key, kind in expected.items():
        if key in raw and (not isinstance(raw[key], kind) or isinstance(raw[key], bool)):
            errors[f"deployment.{key}"] = f"expected {kind.__name__}"
    urls = raw.get("urls", {})
    if isinstance(urls, dict):
        for node_id, url in urls.items():
            if not isinstance(url, str):
                errors[f"deployment.urls.{node_id}"] = "expected string"
    if any(key.startswith("deployment.") for key in errors):
        return Deployment()
    return Deployment(
        id=raw.get("id", 0),
        name=raw.get("name", ""),
        environment=raw.get("environment", ""),
        urls=dict(urls),
        pipeline_version=raw.get("pipeline_version", 0),
    )


def read_stdin() -> str:
    # Bytes, then decode: a plugin must not depend on the container's locale settings.
    return sys.stdin.buffer.read().decode("utf-8", errors="replace")
