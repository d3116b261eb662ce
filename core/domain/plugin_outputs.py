"""What a plugin's parameter schema says about its outputs, beside the params themselves:

    "x-outputs": ["url", "host", "password"]      the keys it writes (optional; checked at save)
    "x-secret-outputs": ["url", "password"]       the keys that hold a secret

A secret output is stored sealed on the control plane, masked for read-level users and never
written to the agent's disk; see agent.protocol.redaction for outputs that merely contain one.
"""

from __future__ import annotations

from typing import Any

OUTPUTS = "x-outputs"
SECRET_OUTPUTS = "x-secret-outputs"


def declared_outputs(schema: dict[str, Any]) -> list[str] | None:
    """None = undeclared: any key goes."""
    declared = schema.get(OUTPUTS)
    return [str(k) for k in declared] if isinstance(declared, list) else None


def secret_outputs(schema: dict[str, Any]) -> list[str]:
    declared = schema.get(SECRET_OUTPUTS)
    return [k for k in declared if isinstance(k, str)] if isinstance(declared, list) else []


def declaration_problem(schema: dict[str, Any]) -> str | None:
    """Why the output keywords of `schema` cannot be used, or None."""
    for keyword in (OUTPUTS, SECRET_OUTPUTS):
        value = schema.get(keyword)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(k, str) and k for k in value):
            return f'"{keyword}" must be a list of output names (strings).'
    declared = declared_outputs(schema)
    undeclared = [k for k in secret_outputs(schema) if declared is not None and k not in declared]
    if undeclared:
        names = ", ".join(undeclared)
        return f'"{SECRET_OUTPUTS}" names outputs missing from "{OUTPUTS}": {names}.'
    return None
