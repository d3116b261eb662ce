"""A unique index refusing a name, turned into the Conflict a form shows beside that field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from core.errors import Conflict


@contextmanager
def name_must_be_free(kind: str, name: str, field: str = "name") -> Iterator[None]:
    """Wrap the insert or update: `kind` is written as in "A team", "An environment"."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"{kind} named '{name}' already exists.", field) from exc
