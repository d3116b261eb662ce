"""The settings and job queue of this process, set once at start-up, for the few core
services that need them outside a request (deployment URLs, enqueueing jobs, the sweeper)."""

from __future__ import annotations

from typing import Any

from core.settings import Settings

_settings: Settings | None = None
_queue: Any = None


def set_settings(settings: Settings) -> None:
    global _settings
    _settings = settings


def settings() -> Settings:
    return _settings if _settings is not None else Settings()


def set_queue(queue: Any) -> None:
    """The SAQ queue this process enqueues background jobs on."""
    global _queue
    _queue = queue


def queue() -> Any:
    if _queue is None:
        raise RuntimeError("the job queue is not started in this process")
    return _queue
