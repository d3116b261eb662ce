"""A compose document → what an import would create, with the admin's answers applied.

`make_plan` never touches the database: it is given the registries and the admin's choices,
and returns either a plan whose `ok` is true or every problem and refusal, one per line.
core.domain.compose.graph turns an ok plan plus the ids of the catalog services created for
it into the pipeline version's graph.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from msgspec import Struct, field

from core.domain import images
from core.domain.compose import interpolation, loading, schema, service
from core.domain.compose.checks import check_graph, resolve_extends
from core.errors import InvalidInput

DNS_BAD = re.compile(r"[^a-z0-9-]+")
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class RegistryFacts(Struct, kw_only=True):
    id: int
    name: str
    url: str
    is_default: bool = False


class ServiceChoice(Struct, kw_only=True, forbid_unknown_fields=True):
    registry_id: int | None = None  # None = the one the image's host names
    catalog_name: str = ""  # "" = <project>-<node id>
    selectable: bool = False
    tag_pattern: str = ""


class Choices(Struct, kw_only=True, forbid_unknown_fields=True):
    variables: dict[str, str] = {}
    profiles: list[str] = []
    env_files: dict[str, str] = {}  # path as the file names it → content
    services: dict[str, ServiceChoice] = {}  # by compose service name
    secrets: list[str] | None = None  # "<node id>.<VAR>"; None = the ones that look secret


class Node(Struct, kw_only=True):
    """One service as it will be created: a catalog service and a pipeline node."""

    compose_name: str
    node_id: str
    catalog_name: str
    registry_id: int | None
    registry_name: str
    image: str
    tag: str
    selectable: bool = False
    tag_pattern: str = ""
    port: int | None = None
    cpu: float | None = None
    memory_mb: int | None = None
    command: str = ""
    entrypoint: str = ""  # on the pipeline node (the catalog has no entrypoint)
    health: dict[str, Any] | None = None
    health_command: str = ""
    interval_s: int = 10
    timeout_s: int = 5
    retries: int = 3
    env: dict[str, str] = {}  # secret values replaced by their ${{ secrets.NAME }} reference
    secrets: dict[str, str] = {}  # env var → project secret name
    secret_like: list[str] = []
    after: list[str] = []  # node ids
    cap_add: list[str] = []
    cap_drop: list[str] = []
    user: str = ""
    volumes: list[dict[str, Any]] = []  # {name, path[, read_only]}: the deployment's volumes


class Plan(Struct, kw_only=True):
    nodes: list[Node] = []
    renamed: dict[str, str] = {}  # compose name → node id, where they differ
    left_out: list[str] = []  # services whose profiles are not active
    profiles: list[str] = []  # every profile the file names
    variables: list[str] = []  # every variable the file names
    env_files: list[str] = []  # every env_file path the file names
    refused: list[str] = []  # what Shoal cannot represent
    problems: list[str] = []  # what must be fixed or answered first
    notes: list[str] = []  # what is ignored, and why
    secret_values: dict[str, str] = field(default_factory=dict)  # never shown

    @property
    def ok(self) -> bool:
        return bool(self.nodes) and not self.refused and not self.problems


def node_id_for(name: str, taken: set[str]) -> str:
    base = DNS_BAD.sub("-", name.lower()).strip("-")[:63].strip("-") or "service"
    candidate, number = base, 2
    while candidate in taken:
        suffix = f"-{number}"
        candidate, number = base[: 63 - len(suffix)].rstrip("-") + suffix, number + 1
    taken.add(candidate)
    return candidate


def secret_name(node_id: str, var: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{node_id}_{var}").upper()[:64]


def make_plan(
    text: str | bytes, choices: Choices, registries: list[RegistryFacts], project: str
) -> Plan:
    """Raises ComposeInvalid when the file is not compose (YAML, limits, schema)."""
    document = loading.load(text)
    schema.validate(document)
    plan = Plan()
    filled, found = interpolation.interpolate(document, choices.variables)
    plan.variables = sorted(found.variables)
    plan.problems += found.problems
    raw_services: dict[str, dict] = resolve_extends(filled.get("services") or {}, plan.refused)
    for key in ("secrets", "configs"):
        if filled.get(key):
            plan.refused.append(f"{key}: file-based {key} cannot be kept; use project secrets.")
    for name, spec in (filled.get("volumes") or {}).items():
        if isinstance(spec, dict) and spec.get("external"):
            plan.refused.append(f"volumes.{name}: external volumes live outside a deployment.")
    plan.profiles = sorted({p for s in raw_services.values() for p in s.get("profiles") or []})
    active = set(choices.profiles)
    kept = {
        n: s
        for n, s in raw_services.items()
        if not s.get("profiles") or active & set(s["profiles"])
    }
    plan.left_out = [n for n in raw_services if n not in kept]
    if not kept:
        plan.problems.append("services: no service is left to import (check the profiles).")
    taken: set[str] = set()
    # names that are already node ids keep them; the others get what is left
    valid = [n for n in kept if DNS_LABEL.fullmatch(n)]
    ids = {n: node_id_for(n, taken) for n in [*valid, *(n for n in kept if n not in valid)]}
    ids = {name: ids[name] for name in kept}
    plan.renamed = {name: node for name, node in ids.items() if name != node}
    planned = []
    for name, spec in kept.items():
        plan.env_files += [_env_path(e) for e in _listed(spec.get("env_file"))]
        one, refused, notes = service.translate(name, ids[name], spec, choices.env_files)
        plan.refused += refused
        plan.notes += notes
        if one is not None:
            planned.append(one)
    plan.problems += check_graph(planned, kept, raw_services)
    for one in planned:
        plan.nodes.append(_node(one, ids, choices, registries, project, plan))
    return plan


def _listed(value: Any) -> list:
    return [value] if isinstance(value, str | dict) else list(value or [])


def _env_path(item: Any) -> str:
    return str(item["path"]) if isinstance(item, dict) else str(item)


def _registry(
    one: service.Planned, choice: ServiceChoice, registries: list[RegistryFacts], plan: Plan
) -> tuple[RegistryFacts | None, str]:
    """(registry, image path inside it)."""
    by_id = {r.id: r for r in registries}
    path = one.image.path
    if choice.registry_id is not None:
        found = by_id.get(choice.registry_id)
        if found is None:
            plan.problems.append(f"services.{one.name}.image: no registry {choice.registry_id}.")
        return found, _inside(found, path)
    if not one.image.host:
        default = next((r for r in registries if r.is_default), None)
        if default is None:
            plan.problems.append(
                f"services.{one.name}.image: '{path}' names no registry host and there is no "
                "default registry; pick its registry."
            )
        return default, path
    for candidate in registries:
        parts = urlsplit(candidate.url)
        prefix = parts.path.strip("/")
        if parts.netloc.lower() == one.image.host and (not prefix or path.startswith(prefix + "/")):
            return candidate, _inside(candidate, path)
    plan.problems.append(
        f"services.{one.name}.image: no registry is set up for {one.image.host}; add it under "
        "Registries or pick one."
    )
    return None, path


def _inside(registry: RegistryFacts | None, path: str) -> str:
    prefix = urlsplit(registry.url).path.strip("/") if registry else ""
    return path[len(prefix) + 1 :] if prefix and path.startswith(prefix + "/") else path


def _node(
    one: service.Planned,
    ids: dict[str, str],
    choices: Choices,
    registries: list[RegistryFacts],
    project: str,
    plan: Plan,
) -> Node:
    choice = choices.services.get(one.name, ServiceChoice())
    unfilled = any(p.startswith(f"services.{one.name}.image:") for p in plan.problems)
    registry, image = (
        (None, one.image.path) if unfilled else _registry(one, choice, registries, plan)
    )
    try:
        image = images.check_image(image) if not unfilled else image
    except InvalidInput as exc:
        plan.problems.append(f"services.{one.name}.image: {exc.detail}")
    marked = (
        {f"{one.node_id}.{k}" for k in one.secret_like}
        if choices.secrets is None
        else set(choices.secrets)
    )
    env, secrets = {}, {}
    for var, value in one.env.items():
        where = f"services.{one.name}.environment.{var}:"
        said = any(p.startswith(where) for p in plan.problems)
        if "${{" in value and not said:  # `$${{` in the file: compose's literal, Shoal's syntax
            plan.problems.append(
                f"{where} '${{{{' would be read as a Shoal reference; Shoal references cannot "
                "be imported from compose."
            )
        if f"{one.node_id}.{var}" in marked and value:
            secrets[var] = secret_name(one.node_id, var)
            plan.secret_values[secrets[var]] = value
            env[var] = "${{ secrets." + secrets[var] + " }}"
        else:
            env[var] = value
    default_name = f"{project}-{one.node_id}"[:63].strip("-")
    return Node(
        compose_name=one.name,
        node_id=one.node_id,
        catalog_name=choice.catalog_name.strip() or default_name,
        registry_id=registry.id if registry else None,
        registry_name=registry.name if registry else "",
        image=image,
        tag=one.image.tag,
        selectable=choice.selectable,
        tag_pattern=(choice.tag_pattern.strip() or "*") if choice.selectable else "",
        port=one.port,
        cpu=one.cpu,
        memory_mb=one.memory_mb,
        command=one.command,
        entrypoint=one.entrypoint,
        health=one.health,
        health_command=one.health_command,
        interval_s=one.interval_s,
        timeout_s=one.timeout_s,
        retries=one.retries,
        env=env,
        secrets=secrets,
        secret_like=one.secret_like,
        after=[ids[d] for d in one.after if d in ids],
        cap_add=one.cap_add,
        cap_drop=one.cap_drop,
        user=one.user,
        volumes=[
            {"name": v.name, "path": v.target, **({"read_only": True} if v.read_only else {})}
            for v in one.volumes
        ],
    )
