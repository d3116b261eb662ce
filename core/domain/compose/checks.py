"""Rules across a compose file's services: extends, dependencies, published ports."""

from __future__ import annotations

from typing import Any

from core.domain.compose.service import Planned


def _merge(base: Any, child: Any) -> Any:
    if isinstance(base, dict) and isinstance(child, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in child.items()}}
    return child


def resolve_extends(services: dict[str, Any], refused: list[str]) -> dict[str, dict]:
    """Services with `extends: {service: x}` of the same file merged (the child wins);
    `extends` naming another file is refused, since only this file was given."""
    resolved: dict[str, dict] = {}

    def one(name: str, trail: tuple[str, ...]) -> dict:
        if name in resolved:
            return resolved[name]
        spec = dict(services.get(name) or {})
        extends = spec.pop("extends", None)
        if extends is not None:
            base_name = extends if isinstance(extends, str) else extends.get("service")
            if isinstance(extends, dict) and extends.get("file"):
                refused.append(
                    f"services.{name}.extends: '{extends['file']}' is another file; only the "
                    "uploaded file is read (merge it in first)."
                )
            elif base_name not in services:
                refused.append(f"services.{name}.extends: there is no service '{base_name}'.")
            elif base_name in trail:
                refused.append(f"services.{name}.extends: it extends itself through {base_name}.")
            else:
                spec = _merge(one(base_name, (*trail, name)), spec)
        resolved[name] = spec
        return spec

    return {name: one(name, ()) for name in services}


def check_graph(planned: list[Planned], kept: dict[str, dict], every: dict[str, dict]) -> list[str]:
    problems: list[str] = []
    for one in planned:
        for dep in one.after:
            if dep in every and dep not in kept:
                problems.append(
                    f"services.{one.name}.depends_on: '{dep}' is left out by the active profiles."
                )
            elif dep not in every:
                problems.append(f"services.{one.name}.depends_on: there is no service '{dep}'.")
    problems += _cycles(planned)
    seen: dict[tuple[str, str], str] = {}
    for one in planned:
        for port in one.published:
            key = (port.host_ip or "0.0.0.0", port.published)
            if key in seen and seen[key] != one.name:
                problems.append(
                    f"services.{one.name}.ports: host port {port.published} is already "
                    f"published by '{seen[key]}'."
                )
            seen.setdefault(key, one.name)
    return problems


def _cycles(planned: list[Planned]) -> list[str]:
    after = {one.name: [d for d in one.after if d != one.name] for one in planned}
    problems = [
        f"services.{one.name}.depends_on: a service cannot depend on itself."
        for one in planned
        if one.name in one.after
    ]
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in after.get(name, []):
            if state.get(dep) == 1:
                loop = [*path[path.index(dep) :], dep]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    problems.append(f"depends_on: a cycle: {' → '.join(loop)}.")
            elif dep in after and state.get(dep) is None:
                visit(dep, [*path, dep])
        state[name] = 2

    for name in after:
        if name not in state:
            visit(name, [name])
    return problems
