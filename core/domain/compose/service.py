"""One compose service → what Shoal keeps of it, or the lines saying what it cannot keep.

Every key of a service is either translated, ignored with a note (it changes nothing a QA
deployment depends on), or refused: a key not named here is refused, so nothing is ever
half-imported by silence.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct

from core.domain.compose import values

HANDLED = {
    "image", "command", "environment", "env_file", "ports", "expose", "depends_on",
    "healthcheck", "deploy", "cpus", "mem_limit", "volumes", "cap_add", "cap_drop", "user",
    "profiles", "extends", "entrypoint",
}  # fmt: skip
IGNORED = {
    "container_name": "the container is named by Shoal",
    "restart": "Shoal restarts service containers itself",
    "labels": "labels are set by Shoal",
    "logging": "logs are collected by the agent",
    "networks": "each deployment has one network where services reach each other by node id",
    "hostname": "the node id is the host name",
    "stop_grace_period": "Shoal stops containers with its own timeout",
    "stop_signal": "Shoal stops containers with SIGTERM",
    "init": "Shoal runs every service with an init process",
    "pull_policy": "the agent pulls the image when it is missing",
    "platform": "the node's platform is used",
    "mem_reservation": "only limits are kept",
    "tty": "service containers run without a terminal",
    "stdin_open": "service containers run without standard input",
}
REFUSED = {
    "build": "Shoal runs images from a registry: build it in CI and name it in 'image'",
    "privileged": "privileged containers are not allowed",
    "network_mode": "only the deployment's own network is available",
    "volumes_from": "volumes are per service",
}
# Name parts that say "credential" (KEYCLOAK_ADMIN or BASICAUTH alone do not)
SECRET_PARTS = {"PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "TOKEN", "KEY", "APIKEY", "SALT"}
SECRET_PARTS |= {"CREDENTIAL", "CREDENTIALS", "PRIVATE"}
SECRET_ENDINGS = ("PASSWORD", "SECRET", "TOKEN")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")  # as the catalog and pipelines allow
CREDENTIAL_URL = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
LOCAL_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1)(?::(\d+))?(/[^\s'\"]*)?")


class Volume(Struct, frozen=True):
    name: str  # the compose volume's name
    target: str
    read_only: bool = False


class Planned(Struct, kw_only=True):
    name: str  # as in the compose file
    node_id: str
    image: values.ImageRef
    port: int | None = None
    published: list[values.PortSpec] = []
    env: dict[str, str] = {}
    secret_like: list[str] = []  # env names whose value looks like a credential
    command: str = ""
    entrypoint: str = ""
    health_command: str = ""
    health: dict[str, Any] | None = None  # the node's check: {type, path, timeout_s}
    interval_s: int = 10
    timeout_s: int = 5
    retries: int = 3
    cpu: float | None = None
    memory_mb: int | None = None
    volumes: list[Volume] = []
    cap_add: list[str] = []
    cap_drop: list[str] = []
    user: str = ""
    after: dict[str, str] = {}  # compose name of each dependency → its condition


def looks_secret(name: str, value: str) -> bool:
    parts = [p for p in re.split(r"[^A-Z0-9]+", name.upper()) if p]
    named = any(p in SECRET_PARTS or p.endswith(SECRET_ENDINGS) for p in parts)
    return bool(value) and (named or bool(CREDENTIAL_URL.search(value)))


def translate(
    name: str, node_id: str, raw: dict[str, Any], env_files: dict[str, str]
) -> tuple[Planned | None, list[str], list[str]]:
    """(planned service or None, refusals, notes); each line starts with the compose path."""
    where = f"services.{name}"
    refused: list[str] = []
    notes: list[str] = []
    for key in raw:
        if key in REFUSED and not (key == "privileged" and raw[key] is False):
            refused.append(f"{where}.{key}: {REFUSED[key]}.")
        elif key in IGNORED:
            notes.append(f"{where}.{key} is ignored: {IGNORED[key]}.")
        elif key not in HANDLED and key not in REFUSED and not key.startswith("x-"):
            refused.append(f"{where}.{key}: Shoal cannot represent this setting.")
    if "image" not in raw:
        refused.append(f"{where}: no image (Shoal runs images from a registry).")
        return None, refused, notes
    planned = Planned(name=name, node_id=node_id, image=values.image_ref(str(raw["image"])))
    if planned.image.digest:
        refused.append(f"{where}.image: pinned by digest; Shoal pins images by tag.")
    try:
        _ports(planned, raw, where, notes)
        _env(planned, raw, where, env_files, refused)
        _health(planned, raw.get("healthcheck"))
        _resources(planned, raw)
    except (ValueError, KeyError, TypeError) as exc:
        refused.append(f"{where}: {exc}.")
    planned.command = values.command_text(raw.get("command"))
    planned.entrypoint = values.command_text(raw.get("entrypoint"))
    planned.cap_add = [str(c) for c in raw.get("cap_add") or []]
    planned.cap_drop = [str(c) for c in raw.get("cap_drop") or []]
    planned.user = str(raw.get("user") or "")
    depends = raw.get("depends_on") or {}
    if isinstance(depends, list):
        depends = {dep: {} for dep in depends}
    planned.after = {k: (v or {}).get("condition", "service_started") for k, v in depends.items()}
    for dep, condition in planned.after.items():
        if condition == "service_completed_successfully":
            refused.append(
                f"{where}.depends_on.{dep}: waiting for a service to exit is not possible "
                "(Shoal services keep running; make it a plugin step)."
            )
    _volumes(planned, raw.get("volumes") or [], where, refused)
    return planned, refused, notes


def _ports(planned: Planned, raw: dict, where: str, notes: list[str]) -> None:
    specs = values.ports(raw.get("ports") or [])
    for spec in specs:
        if spec.protocol != "tcp":
            raise ValueError(f"ports: {spec.target}/{spec.protocol} (only TCP is routed)")
    planned.published = [s for s in specs if s.published]
    candidates = [s.target for s in specs] + [
        int(str(e).partition("/")[0]) for e in raw.get("expose") or []
    ]
    unique = list(dict.fromkeys(candidates))
    planned.port = unique[0] if unique else None
    if len(unique) > 1:
        rest = ", ".join(map(str, unique[1:]))
        notes.append(
            f"{where}.ports: port {unique[0]} is the one routed through the ingress; "
            f"{rest} stay reachable inside the deployment only."
        )


def _env(planned: Planned, raw: dict, where: str, files: dict[str, str], refused: list) -> None:
    env: dict[str, str] = {}
    listed = raw.get("env_file") or []
    for item in [listed] if isinstance(listed, str | dict) else listed:
        path = item["path"] if isinstance(item, dict) else str(item)
        if path in files:
            env.update(values.env_file(files[path]))
        elif not (isinstance(item, dict) and item.get("required") is False):
            refused.append(f"{where}.env_file: give the content of '{path}' in the import form.")
    env.update(values.env_pairs(raw.get("environment")))
    for name in [n for n in env if not ENV_NAME.fullmatch(n)]:
        refused.append(
            f"{where}.environment.{name}: Shoal's variable names are letters, digits and '_' "
            "(not starting with a digit)."
        )
        del env[name]
    planned.env = env
    planned.secret_like = [k for k, v in env.items() if looks_secret(k, v)]


def _health(planned: Planned, check: dict | None) -> None:
    if not check or check.get("disable") or check.get("test") in (["NONE"], "NONE"):
        return
    test = check.get("test") or []
    if isinstance(test, str):
        command = test
    elif test and test[0] == "CMD-SHELL":
        command = " ".join(str(t) for t in test[1:])
    else:
        command = values.command_text(test[1:] if test and test[0] == "CMD" else test)
    planned.health_command = command
    interval = values.duration_s(check.get("interval"), 30)
    timeout = values.duration_s(check.get("timeout"), 30)
    retries = int(check.get("retries") or 3)
    start = values.duration_s(check.get("start_period"), 0)
    planned.interval_s = max(1, min(3600, round(interval)))
    planned.timeout_s = max(1, min(3600, round(timeout)))
    planned.retries = max(1, min(3600, retries))
    # Shoal's agent checks TCP or HTTP itself: a check that asks a local URL becomes an HTTP
    # check of that path, anything else a TCP check of the service's port.
    wait = min(3600.0, max(60.0, start + (interval + timeout) * retries))
    url = LOCAL_URL.search(command)
    if url and planned.port is not None and int(url.group(1) or 80) == planned.port:
        planned.health = {"type": "http", "path": url.group(2) or "/", "timeout_s": wait}
    elif planned.port is not None:
        planned.health = {"type": "tcp", "timeout_s": wait}


def _resources(planned: Planned, raw: dict) -> None:
    limits = ((raw.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    cpus = limits.get("cpus", raw.get("cpus"))
    memory = limits.get("memory", raw.get("mem_limit"))
    if cpus is not None:
        planned.cpu = float(cpus)
    if memory is not None:
        planned.memory_mb = values.memory_mb(memory)
    replicas = (raw.get("deploy") or {}).get("replicas")
    if replicas not in (None, 1):
        raise ValueError(f"deploy.replicas is {replicas} (Shoal runs one container per service)")


def _volumes(planned: Planned, raw: list, where: str, refused: list[str]) -> None:
    """Named volumes become the deployment's volumes (created with it, removed with it); an
    anonymous one (`/data`) needs nothing: the container's own storage lives as long."""
    for item in raw:
        if isinstance(item, dict):
            kind, source, target = item.get("type"), item.get("source"), item.get("target")
            read_only = bool(item.get("read_only"))
        else:
            parts = str(item).split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
            read_only = len(parts) > 2 and "ro" in parts[2].split(",")
            kind = "bind" if source and source[:1] in "./~" else "volume"
        if kind != "volume":
            refused.append(
                f"{where}.volumes: {source or target} is a {kind} mount of the host; only "
                "named volumes can be kept (per deployment)."
            )
        elif source:
            planned.volumes.append(Volume(str(source), str(target), read_only))
