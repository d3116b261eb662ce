"""Fixtures for the web tests: the running app's settings, swapped for one test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import msgspec
import pytest
from litestar import Litestar


@pytest.fixture
def settings_of(web_app: Litestar) -> Iterator[Callable[..., None]]:
    """`settings_of(name=value, …)`: the app reads its settings per request, so a test can
    change a few for itself; the originals come back afterwards."""
    original = web_app.state.settings

    def apply(**changes: object) -> None:
        web_app.state.settings = msgspec.structs.replace(original, **changes)

    yield apply
    web_app.state.settings = original
