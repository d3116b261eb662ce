"""Table rows rendered once per distinct content, then reused from memory.

The deployment list renders the same fifty rows for every user who opens it, and escaping
about 300 values per page was a third of the page's CPU time. A row's cache key is every
value it shows, so a changed deployment simply makes a new key: nothing to invalidate, and
the least recently used rows fall out once `size` is reached. Fields named in `mappings` hold
dicts (a deployment's tags and URLs): the key holds their sorted pairs, the row a dict again.
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
        self,
        environment: Environment,
        template: str,
        fields: tuple[str, ...],
        size: int,
        mappings: tuple[str, ...] = (),
    ) -> None:
        self._environment = environment
        self._template_name = template
        self._fields = fields
        self._key_of = attrgetter(*fields)
        self._mapping_at = [fields.index(name) for name in mappings]
        self._render_values = lru_cache(maxsize=size)(self._render)

    def __call__(self, items: list[Any]) -> Markup:
        render, key_of = self._render_values, self._key_of
        if not self._mapping_at:
            return Markup("".join([render(key_of(item)) for item in items]))
        return Markup("".join([render(self._hashable(key_of(item))) for item in items]))

    def _hashable(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        key = list(values)
        for at in self._mapping_at:
            key[at] = tuple(sorted(key[at].items()))
        return tuple(key)

    def _render(self, values: tuple[Any, ...]) -> Markup:
        template = self._environment.get_template(self._template_name)
        shown = dict(zip(self._fields, values, strict=True))
        for at in self._mapping_at:
            shown[self._fields[at]] = dict(values[at])
        return Markup(template.render(row=SimpleNamespace(**shown)))  # escaped by the template

    @property
    def cached(self) -> int:
        return self._render_values.cache_info().currsize
