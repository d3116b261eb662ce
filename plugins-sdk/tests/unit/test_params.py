"""Params dataclasses → JSON Schema (the control plane's form) and the check of raw params."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from shoal_plugin import InvalidInput, param, params_schema, parse_params


class Mode(enum.Enum):
    FAST = "fast"
    SAFE = "safe"


@dataclass
class Limits:
    cpu: float = 1.0
    memory_mb: int = param(256, minimum=16)


@dataclass
class Params:
    """Everything a form can hold."""

    url: str = param(description="Where", pattern=r"^https?://")
    count: int = param(3, minimum=1, maximum=5)
    ratio: float = 0.5
    verbose: bool = False
    style: Literal["plain", "loud"] = "plain"
    mode: Mode = Mode.SAFE
    tags: list[str] = param(["a"], description="Labels")
    env: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    limits: Limits = field(default_factory=Limits)
    extra: Any = None
    password: str = param("", secret=True)


def test_schema_has_types_required_enums_defaults_and_descriptions():
    schema = params_schema(Params)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["description"] == "Everything a form can hold."
    assert schema["required"] == ["url"]
    props = schema["properties"]
    assert props["url"] == {"type": "string", "pattern": r"^https?://", "description": "Where"}
    assert props["count"] == {"type": "integer", "minimum": 1, "maximum": 5, "default": 3}
    assert props["ratio"] == {"type": "number", "default": 0.5}
    assert props["verbose"] == {"type": "boolean", "default": False}
    assert props["style"] == {"type": "string", "enum": ["plain", "loud"], "default": "plain"}
    assert props["mode"] == {"type": "string", "enum": ["fast", "safe"], "default": "safe"}
    assert props["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Labels",
        "default": ["a"],
    }
    assert props["env"] == {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "default": {},
    }
    assert props["note"] == {"type": ["string", "null"], "default": None}
    assert props["limits"]["properties"]["memory_mb"] == {
        "type": "integer",
        "minimum": 16,
        "default": 256,
    }
    assert props["limits"]["default"] == {"cpu": 1.0, "memory_mb": 256}
    assert props["extra"] == {"default": None}
    assert props["password"]["format"] == "password" and props["password"]["writeOnly"] is True


def test_schema_is_json_serialisable():
    import json

    json.dumps(params_schema(Params))


def test_valid_params_become_an_instance_with_defaults():
    value = parse_params(
        Params, {"url": "http://x", "count": 2, "ratio": 1, "mode": "fast", "limits": {"cpu": 2}}
    )
    assert value.url == "http://x" and value.count == 2
    assert value.ratio == 1.0 and isinstance(value.ratio, float)
    assert value.mode is Mode.FAST
    assert value.limits == Limits(cpu=2.0, memory_mb=256)
    assert value.tags == ["a"] and value.env == {}


def test_list_defaults_are_not_shared():
    first = parse_params(Params, {"url": "http://x"})
    first.tags.append("b")
    assert parse_params(Params, {"url": "http://x"}).tags == ["a"]


def test_every_bad_field_is_named():
    raw = {
        "count": 9,
        "ratio": "high",
        "verbose": 1,
        "style": "quiet",
        "mode": "slow",
        "tags": ["ok", 3],
        "env": {"A": 1},
        "note": 5,
        "limits": {"memory_mb": 1, "gpu": 1},
        "typo": True,
    }
    with pytest.raises(InvalidInput) as caught:
        parse_params(Params, raw)
    assert caught.value.fields == {
        "params.url": "required",
        "params.count": "must be <= 5, got 9",
        "params.ratio": "expected number, got string",
        "params.verbose": "expected boolean, got integer",
        "params.style": "must be one of ['plain', 'loud'], got 'quiet'",
        "params.mode": "must be one of ['fast', 'safe'], got 'slow'",
        "params.tags[1]": "expected string, got integer",
        "params.env.A": "expected string, got integer",
        "params.note": "expected string, got integer",
        "params.limits.memory_mb": "must be >= 16, got 1",
        "params.limits.gpu": "unknown parameter",
        "params.typo": "unknown parameter",
    }
    assert "params.url: required" in caught.value.message


def test_pattern_and_bool_for_int():
    with pytest.raises(InvalidInput) as caught:
        parse_params(Params, {"url": "ftp://x", "count": True})
    assert caught.value.fields == {
        "params.url": r"must match '^https?://'",
        "params.count": "expected integer, got boolean",
    }


def test_params_that_are_not_an_object():
    with pytest.raises(InvalidInput) as caught:
        parse_params(Params, ["url"])
    assert caught.value.fields == {"params": "expected object, got array"}


def test_unsupported_types_fail_at_schema_time():
    @dataclass
    class Bad:
        value: int | str = 1

    with pytest.raises(TypeError, match="only X \\| None"):
        params_schema(Bad)


def test_bad_pattern_fails_when_declared():
    import re

    with pytest.raises(re.error):
        param("", pattern="(")
