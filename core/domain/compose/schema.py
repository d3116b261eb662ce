"""Check a compose document against the Compose Specification's JSON schema.

The vendored schema (compose-spec.json) predates the top-level `name` key that later versions
of the specification added; a string `name` is accepted and ignored here, as compose itself
treats it as the project's name.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError

from core.domain.compose import ComposeInvalid

MAX_PROBLEMS = 20


@functools.cache
def _validator() -> Draft201909Validator:
    text = resources.files("core.domain.compose").joinpath("compose-spec.json").read_text()
    return Draft201909Validator(json.loads(text))


def path_of(error: ValidationError) -> str:
    """`services.web.ports[0]`, or `top level`."""
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "top level"


def _message(error: ValidationError) -> str:
    # oneOf failures say "is not valid under any of the given schemas": the closest branch's
    # own error names the real problem, when one is more specific
    if error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _message(deepest)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        extra = [
            k for k in error.instance if k not in known and not any(p.search(k) for p in patterns)
        ]
        if extra:
            names = ", ".join(repr(k) for k in extra)
            return f"{path_of(error)}: unknown key {names} (extensions must start with 'x-')"
    return f"{path_of(error)}: {error.message}"


def validate(document: dict[str, Any]) -> None:
    """ComposeInvalid with one line per problem (at most MAX_PROBLEMS), each naming its path."""
    checked = dict(document)
    if isinstance(checked.get("name"), str):
        checked.pop("name")
    errors = sorted(_validator().iter_errors(checked), key=lambda e: list(map(str, e.path)))
    if errors:
        problems = list(dict.fromkeys(_message(e) for e in errors))
        raise ComposeInvalid(problems[:MAX_PROBLEMS])
