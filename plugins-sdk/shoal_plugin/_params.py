"""Parameters declared as dataclasses: their JSON Schema (the control plane's form) and checking.

A field's type says what it accepts: ``str``, ``int``, ``float``, ``bool``, ``Literal[...]`` or
an ``Enum`` (a choice), ``list[X]``, ``dict[str, X]``, ``X | None``, a nested dataclass, or
``Any``. A field without a default is required. ``param()`` adds a description and limits.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ._errors import InvalidInput
from ._schema_types import check_value, schema_for_type

_MISSING = dataclasses.MISSING
_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def param(
    default: Any = _MISSING,
    *,
    description: str = "",
    title: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    pattern: str | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    secret: bool = False,
) -> Any:
    """A dataclass field with what the form shows and the limits the value must meet.

    ``secret=True`` marks a value the form masks (pass ``${{ secrets.NAME }}`` to it).
    A list or dict default is copied for each instance.
    """
    limits = {
        "minimum": minimum,
        "maximum": maximum,
        "pattern": pattern,
        "minLength": min_length,
        "maxLength": max_length,
    }
    meta = {key: value for key, value in limits.items() if value is not None}
    if pattern is not None:
        re.compile(pattern)  # a bad pattern is the author's bug: fail at import, not at run time
    if description:
        meta["description"] = description
    if title:
        meta["title"] = title
    if secret:
        meta.update(format="password", writeOnly=True)
    metadata = {"shoal": meta}
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def params_schema(params_class: type) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a params dataclass, with the form's texts and defaults."""
    schema = schema_for_type(params_class)
    return {"$schema": _SCHEMA_DIALECT, **schema}


def parse_params(params_class: type, raw: Any, prefix: str = "params") -> Any:
    """``raw`` checked against the class, as an instance; InvalidInput names every bad field."""
    errors: dict[str, str] = {}
    value = check_value(params_class, raw, prefix, errors)
    if errors:
        raise InvalidInput(errors)
    return value
