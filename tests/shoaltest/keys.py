"""A master key for a test that seals values, kept when a fixture before it made one already
(what it sealed must still open)."""

from __future__ import annotations

from core import crypto, runtime


def ensure_key() -> None:
    found = runtime.current()
    if found is None or found.box is None:
        runtime.install(box=crypto.SecretBox(crypto.generate_key()))
