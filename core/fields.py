"""Field types for input Structs: what the database can hold, stated once for every API body.

Two kinds of constraint, on purpose:

- `msgspec.Meta` bounds are enforced when a request body is decoded, so a value PostgreSQL
  cannot store never reaches a service: an id outside 1..2^31-1 (an `integer` column overflows,
  and no such row can exist) or a control character (PostgreSQL refuses NUL in text; the
  others only hide text in pages and logs). Such a request gets a 400 naming the field.
- `MinLen`, `MaxLen` and `Between` (annotated_types marks) are documentation for the OpenAPI schema
  only: msgspec ignores them, so the services stay the authority and answer 422 with a message
  for the field and an audit entry for the refusal, which a decode-time 400 would skip. A limit
  written here repeats the service's own check; tests/integration/web/test_api_schema.py
  compares the two.
"""

from __future__ import annotations

from typing import Annotated

import annotated_types as at
import msgspec

INT32_MAX = 2**31 - 1

# C0 control characters except tab, newline and carriage return (which descriptions and
# commands may hold): the set core.validation.text refuses.
NO_CONTROL = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]*$"

Id = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]
Text = Annotated[str, msgspec.Meta(pattern=NO_CONTROL)]

MinLen = at.MinLen
MaxLen = at.MaxLen


def Between(low: float, high: float) -> at.Interval:
    """An inclusive range the service enforces, documented in the schema."""
    return at.Interval(ge=low, le=high)
