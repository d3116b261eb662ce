"""`${{ … }}` references in node config, resolved just before each node runs.

    ${{ secrets.NAME }}                 a project secret (memory only)
    ${{ nodes.<id>.outputs.<key> }}     an output of a node that already ran
    ${{ deployment.name }}              also deployment.id and deployment.environment
    ${{ urls.<service node id> }}       the public URL of a service of this deployment

A string that is exactly one reference takes the referenced value as is (a number stays a
number in plugin params); references inside a longer string are replaced by their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from agent.protocol import DeploymentSpec

PATTERN = re.compile(r"\$\{\{\s*([^}\s]+)\s*\}\}")


class UnresolvedReference(Exception):
    pass


@dataclass
class Scope:
    deployment: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)


def scope_for(spec: DeploymentSpec, outputs: dict[str, dict[str, Any]]) -> Scope:
    deployment = {"id": spec.id, "name": spec.name, "environment": spec.environment}
    return Scope(deployment=deployment, secrets=spec.secrets, outputs=outputs, urls=spec.urls)


def resolve(value: Any, scope: Scope) -> Any:
    if isinstance(value, str):
        return _resolve_text(value, scope)
    if isinstance(value, list):
        return [resolve(item, scope) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, scope) for key, item in value.items()}
    return value


def resolve_text(value: str, scope: Scope) -> str:
    """For places that need text (environment variables, commands)."""
    resolved = _resolve_text(value, scope)
    return resolved if isinstance(resolved, str) else msgspec.json.encode(resolved).decode()


def _resolve_text(text: str, scope: Scope) -> Any:
    whole = PATTERN.fullmatch(text.strip())
    if whole:
        return lookup(whole.group(1), scope)

    def replace(match: re.Match[str]) -> str:
        found = lookup(match.group(1), scope)
        return found if isinstance(found, str) else msgspec.json.encode(found).decode()

    return PATTERN.sub(replace, text)


def lookup(path: str, scope: Scope) -> Any:
    parts = path.split(".")
    head = parts[0]
    if head == "secrets" and len(parts) == 2:
        if parts[1] in scope.secrets:
            return scope.secrets[parts[1]]
        raise UnresolvedReference(f"${{{{ {path} }}}}: secret {parts[1]!r} was not sent")
    if head == "deployment" and len(parts) == 2 and parts[1] in scope.deployment:
        return scope.deployment[parts[1]]
    if head == "urls" and len(parts) == 2:
        if parts[1] in scope.urls:
            return scope.urls[parts[1]]
        raise UnresolvedReference(f"${{{{ {path} }}}}: no URL for node {parts[1]!r}")
    if head == "nodes" and len(parts) >= 4 and parts[2] == "outputs":
        node_outputs = scope.outputs.get(parts[1])
        if node_outputs is None:
            raise UnresolvedReference(f"${{{{ {path} }}}}: node {parts[1]!r} has not run")
        key = ".".join(parts[3:])
        if key not in node_outputs:
            raise UnresolvedReference(f"${{{{ {path} }}}}: node {parts[1]!r} has no output {key!r}")
        return node_outputs[key]
    raise UnresolvedReference(f"${{{{ {path} }}}}: unknown reference")


def redact(value: Any, secrets: dict[str, str]) -> Any:
    """`value` with every secret's text replaced, for what is written to disk."""
    if isinstance(value, str):
        for secret in secrets.values():
            if secret:
                value = value.replace(secret, "[secret]")
        return value
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: redact(item, secrets) for key, item in value.items()}
    return value
