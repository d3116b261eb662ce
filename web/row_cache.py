"""Table rows rendered once per distinct content, then reused from memory.

The deployment list renders the same fifty rows for every user who opens it, and escaping
about 300 values per page was a third of the page's CPU time. A row's cache key is every
value it shows, so a changed deployment simply makes a new key: nothing to invalidate, and
the least recently used rows fall out once `size` is reached.
"""

from __future__ import annotations

from functools import lru_cache
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment
from markupsafe import Markup


class RowCache:
    """Call with a list of objects: their rows, each rendered by `template` as `row`."""

    def __init__(
        self, environment: Environment, template: str, fields: tuple[str, ...], size: int
    ) -> None:
        self._environment = environment
        self._template_name = template
        self._fields = fields
        self._key_of = attrgetter(*fields)
        self._render_values = lru_cache(maxsize=size)(self._render)

    def __call__(self, items: list[Any]) -> Markup:
        render, key_of = self._render_values, self._key_of
        return Markup("".join([render(key_of(item)) for item in items]))

    def _render(self, values: tuple[Any, ...]) -> Markup:
        template = self._environment.get_template(self._template_name)
        row = SimpleNamespace(**dict(zip(self._fields, values, strict=True)))
        return Markup(template.render(row=row))  # already escaped by the row template

    @property
    def cached(self) -> int:
        return self._render_values.cache_info().currsize
