"""A pipeline version → a compose document for running the same stack locally.

Service nodes become compose services with the catalog's values and the node's own over them
(as a deployment resolves them). What compose has no word for becomes a variable the person
running it sets: `${{ secrets.NAME }}` → `${NAME}`, any other Shoal reference →
`${SHOAL_…}`, a selectable service's tag → `${<NODE>_TAG:?…}`. Literal `$` is written `$$`.
Plugin steps have no compose form: they are listed under `x-shoal.skipped`, and the services
after them wait for the services before them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from core.domain import images

REFERENCE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SECRET = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)$")


def variable_for(expression: str) -> str:
    secret = SECRET.match(expression)
    if secret:
        return secret.group(1)
    return "SHOAL_" + re.sub(r"[^A-Za-z0-9]+", "_", expression).strip("_").upper()


def compose_value(text: str) -> str:
    """A Shoal config string as compose text: `$` escaped, references as variables."""
    out, last = [], 0
    for match in REFERENCE.finditer(text):
        out.append(text[last : match.start()].replace("$", "$$"))
        out.append("${" + variable_for(match.group(1)) + "}")
        last = match.end()
    out.append(text[last:].replace("$", "$$"))
    return "".join(out)


def _tag_variable(node_id: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", node_id.upper()) + "_TAG"


def _healthcheck(check: dict, node_health: dict | None, port: int | None) -> dict | None:
    """The catalog's command check as it was; else the node's or catalog's HTTP/TCP check
    as a command that the image's shell runs."""
    timing: dict[str, Any] = {
        "interval": f"{check.get('interval_s', 10)}s",
        "timeout": f"{check.get('timeout_s', 5)}s",
        "retries": int(check.get("retries", 3)),
    }
    # The node waits start + (interval + timeout) * retries (core.domain.compose.service):
    # the start period is what that leaves.
    waited = (check.get("interval_s", 10) + check.get("timeout_s", 5)) * timing["retries"]
    start = round((node_health or {}).get("timeout_s", 0) - waited)
    if start > 0:
        timing["start_period"] = f"{start}s"
    if check.get("kind") == "command" and check.get("command"):
        return {"test": ["CMD-SHELL", compose_value(check["command"])], **timing}
    kind = (node_health or {}).get("type") or check.get("kind")
    path = (node_health or {}).get("path") or check.get("path") or "/"
    if kind == "http" and port:
        command = f"wget -q -O /dev/null http://localhost:{port}{path} || exit 1"
    elif kind == "tcp" and port:
        command = f"nc -z localhost {port} || exit 1"
    else:
        return None
    return {"test": ["CMD-SHELL", compose_value(command)], **timing}


def _service_ancestors(node_id: str, preds: dict[str, list[str]], kinds: dict[str, str]) -> list:
    found: list[str] = []
    stack = list(preds.get(node_id, []))
    seen: set[str] = set()
    while stack:
        current = stack.pop(0)
        if current in seen:
            continue
        seen.add(current)
        if kinds.get(current) == "service":
            found.append(current)
        else:
            stack += preds.get(current, [])
    return found


def export(
    graph: dict[str, Any],
    services: dict[int, dict[str, Any]],
    registry_urls: dict[int, str],
    *,
    project: str,
    version: int,
    hide_catalog_env: bool = False,
) -> dict[str, Any]:
    """`services`: catalog rows by id (registry, image, tag_mode, tag, tag_pattern, port,
    env, health_check, command, cpu, memory_mb, cap_add, cap_drop, run_as)."""
    nodes = graph.get("nodes") or []
    kinds = {n["id"]: n["kind"] for n in nodes}
    preds: dict[str, list[str]] = {n["id"]: [] for n in nodes}
    for edge in graph.get("edges") or []:
        preds.setdefault(edge["to"], []).append(edge["from"])
    out: dict[str, Any] = {}
    checks: dict[str, bool] = {}
    volumes: set[str] = set()
    for node in nodes:
        if node["kind"] != "service":
            continue
        config = node.get("config") or {}
        row = services[config["service_id"]]
        url = registry_urls[row["registry"]]
        tag = row["tag"]
        if row["tag_mode"] == "selectable":
            pattern = row["tag_pattern"]
            tag = "${" + _tag_variable(node["id"]) + f":?set a tag of {row['image']} ({pattern})}}"
        service: dict[str, Any] = {"image": images.pull_reference(url, row["image"], tag)}
        if config.get("entrypoint"):
            service["entrypoint"] = compose_value(config["entrypoint"])
        command = config.get("command") or row["command"]
        if command:
            service["command"] = compose_value(command)
        # A hidden catalog value (only admins read them) becomes a variable of its own name.
        catalog_env = {
            k: ("${" + k + "}" if hide_catalog_env else compose_value(v))
            for k, v in (row["env"] or {}).items()
        }
        node_env = {k: compose_value(v) for k, v in (config.get("env") or {}).items()}
        if catalog_env or node_env:
            service["environment"] = {**catalog_env, **node_env}
        port = config.get("port") or row["port"]
        if port:
            service["ports"] = [str(port)]
        health = _healthcheck(row["health_check"] or {}, config.get("health_check"), port)
        if health:
            service["healthcheck"] = health
        checks[node["id"]] = health is not None
        cpu = config.get("cpu") or row["cpu"]
        memory = config.get("memory_mb") or row["memory_mb"]
        service["deploy"] = {"resources": {"limits": {"cpus": f"{cpu:g}", "memory": f"{memory}M"}}}
        mounts = config.get("volumes") or []
        if mounts:
            service["volumes"] = [
                f"{v['name']}:{v['path']}" + (":ro" if v.get("read_only") else "") for v in mounts
            ]
            volumes.update(v["name"] for v in mounts)
        for key, column in (("cap_add", "cap_add"), ("cap_drop", "cap_drop"), ("user", "run_as")):
            if row.get(column):
                service[key] = row[column]
        out[node["id"]] = service
    for node_id, service in out.items():
        after = _service_ancestors(node_id, preds, kinds)
        if after:
            service["depends_on"] = {
                a: {"condition": "service_healthy" if checks[a] else "service_started"}
                for a in after
            }
    document: dict[str, Any] = {
        "x-shoal": {"project": project, "version": version},
        "services": out,
    }
    if volumes:
        document["volumes"] = {name: {} for name in sorted(volumes)}
    skipped = [n["id"] for n in nodes if n["kind"] != "service"]
    if skipped:
        document["x-shoal"]["skipped"] = skipped
    return document


def dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
