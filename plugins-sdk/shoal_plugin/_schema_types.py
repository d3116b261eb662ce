"""One Python type ↔ its JSON Schema and the check of a JSON value against it.

Both walk the same cases in the same order, so what the form promises is what the check does.
Errors collect into ``errors[path]`` instead of stopping at the first, so a user fixing a form
sees every bad field at once.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from typing import Any, Literal, Union

_NoneType = type(None)
_JSON_NAMES = {str: "string", bool: "boolean", int: "integer", float: "number"}


def _json_name(value: Any) -> str:
    if value is None:
        return "null"
    for python_type, name in (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ):
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def _optional_inner(tp: Any) -> Any | None:
    """X for ``X | None`` / ``Optional[X]``; None for anything else."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        members = [arg for arg in typing.get_args(tp) if arg is not _NoneType]
        if len(members) == 1 and len(typing.get_args(tp)) == 2:
            return members[0]
        raise TypeError(f"unsupported union {tp!r}: only X | None is allowed")
    return None


def _class_doc(cls: type) -> str:
    doc = (cls.__doc__ or "").strip()
    # dataclasses invent "Name(field: type, ...)" when there is no docstring: not for humans.
    return "" if doc.startswith(f"{cls.__name__}(") else doc


def _choices(tp: Any) -> list[Any] | None:
    if typing.get_origin(tp) is Literal:
        return list(typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [member.value for member in tp]
    return None


def schema_for_type(tp: Any) -> dict[str, Any]:
    inner = _optional_inner(tp)
    if inner is not None:
        schema = schema_for_type(inner)
        if isinstance(schema.get("type"), str):
            return {**schema, "type": [schema["type"], "null"]}
        return {"anyOf": [schema, {"type": "null"}]}
    choices = _choices(tp)
    if choices is not None:
        kinds = {_json_name(choice) for choice in choices}
        return {"type": kinds.pop(), "enum": choices} if len(kinds) == 1 else {"enum": choices}
    if tp in _JSON_NAMES:
        return {"type": _JSON_NAMES[tp]}
    if tp is Any:
        return {}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list:
        return {"type": "array", "items": schema_for_type(args[0]) if args else {}}
    if origin is dict:
        if args and args[0] is not str:
            raise TypeError(f"unsupported {tp!r}: JSON object keys are strings")
        return {"type": "object", "additionalProperties": schema_for_type(args[1]) if args else {}}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_schema(tp)
    raise TypeError(f"unsupported parameter type {tp!r}")


def _jsonable(value: Any) -> Any:
    """A default as the JSON the form shows: enums by value, dataclasses as objects."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            spec.name: _jsonable(getattr(value, spec.name)) for spec in dataclasses.fields(value)
        }
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def _dataclass_schema(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for spec in dataclasses.fields(cls):
        prop = {**schema_for_type(hints[spec.name]), **spec.metadata.get("shoal", {})}
        if spec.default is not dataclasses.MISSING:
            prop["default"] = _jsonable(spec.default)
        elif spec.default_factory is not dataclasses.MISSING:
            prop["default"] = _jsonable(spec.default_factory())
        else:
            required.append(spec.name)
        properties[spec.name] = prop
    schema: dict[str, Any] = {"title": cls.__name__, "type": "object"}
    if doc := _class_doc(cls):
        schema["description"] = doc
    schema.update(properties=properties, required=required, additionalProperties=False)
    return schema


def check_value(tp: Any, raw: Any, path: str, errors: dict[str, str]) -> Any:
    inner = _optional_inner(tp)
    if inner is not None:
        return None if raw is None else check_value(inner, raw, path, errors)
    choices = _choices(tp)
    if choices is not None:
        if raw not in choices or isinstance(raw, bool) != any(isinstance(c, bool) for c in choices):
            errors[path] = f"must be one of {choices!r}, got {raw!r}"
            return None
        return tp(raw) if isinstance(tp, type) else raw
    if tp is Any:
        return raw
    if tp in _JSON_NAMES:
        return _check_scalar(tp, raw, path, errors)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is list:
        if not isinstance(raw, list):
            errors[path] = f"expected array, got {_json_name(raw)}"
            return None
        item_type = args[0] if args else Any
        return [check_value(item_type, item, f"{path}[{i}]", errors) for i, item in enumerate(raw)]
    if origin is dict:
        if not isinstance(raw, dict):
            errors[path] = f"expected object, got {_json_name(raw)}"
            return None
        value_type = args[1] if args else Any
        return {
            key: check_value(value_type, item, f"{path}.{key}", errors) for key, item in raw.items()
        }
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _check_dataclass(tp, raw, path, errors)
    raise TypeError(f"unsupported parameter type {tp!r}")


def _check_scalar(tp: type, raw: Any, path: str, errors: dict[str, str]) -> Any:
    ok = isinstance(raw, tp) and not (tp is not bool and isinstance(raw, bool))
    if tp is float and isinstance(raw, int) and not isinstance(raw, bool):
        return float(raw)
    if not ok:
        errors[path] = f"expected {_JSON_NAMES[tp]}, got {_json_name(raw)}"
        return None
    return raw


def _check_limits(meta: dict[str, Any], value: Any, path: str, errors: dict[str, str]) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in meta and value < meta["minimum"]:
            errors[path] = f"must be >= {meta['minimum']}, got {value}"
        if "maximum" in meta and value > meta["maximum"]:
            errors[path] = f"must be <= {meta['maximum']}, got {value}"
    if isinstance(value, str):
        if "minLength" in meta and len(value) < meta["minLength"]:
            errors[path] = f"must have at least {meta['minLength']} characters"
        if "maxLength" in meta and len(value) > meta["maxLength"]:
            errors[path] = f"must have at most {meta['maxLength']} characters"
        if "pattern" in meta and not re.search(meta["pattern"], value):
            errors[path] = f"must match {meta['pattern']!r}"


def _check_dataclass(cls: type, raw: Any, path: str, errors: dict[str, str]) -> Any:
    if not isinstance(raw, dict):
        errors[path] = f"expected object, got {_json_name(raw)}"
        return None
    hints = typing.get_type_hints(cls)
    specs = {spec.name: spec for spec in dataclasses.fields(cls)}
    for unknown in sorted(set(raw) - set(specs)):
        errors[f"{path}.{unknown}"] = "unknown parameter"
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        field_path = f"{path}.{name}"
        if name not in raw:
            no_default = spec.default is dataclasses.MISSING
            if no_default and spec.default_factory is dataclasses.MISSING:
                errors[field_path] = "required"
            continue
        before = len(errors)
        values[name] = check_value(hints[name], raw[name], field_path, errors)
        if len(errors) == before and values[name] is not None:
            _check_limits(spec.metadata.get("shoal", {}), values[name], field_path, errors)
    if any(key == path or key.startswith((f"{path}.", f"{path}[")) for key in errors):
        return None
    return cls(**values)
