"""Path and query parameter types shared by every route, with the bounds core/fields.py states.

Litestar enforces a `Parameter` in `Annotated` (msgspec `Meta` there would be ignored) and
writes it into the OpenAPI schema, so an id no row can have is a 400 naming the parameter,
never a query that overflows PostgreSQL's `integer`.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from core.fields import INT32_MAX, NO_CONTROL

IdParam = Annotated[int, Parameter(ge=1, le=INT32_MAX)]
OptionalIdParam = Annotated[int | None, Parameter(ge=1, le=INT32_MAX)]
TextParam = Annotated[str, Parameter(pattern=NO_CONTROL)]
OptionalTextParam = Annotated[str | None, Parameter(pattern=NO_CONTROL)]
