"""What a Shoal process builds from its settings at start, as one object passed down.

The web lifespan (and `shoal worker`, and each CLI command that needs it) makes one `Runtime`:
the settings, what the lifespan derives from them for signing in, the master-key box, the job
queue, and once started the agent hub and the ingress. It is passed down two ways:

- explicitly where a framework hands it over: handlers ask for the `runtime` dependency, the
  auth middleware reads `app.state.runtime`;
- through the task context for core services deep below (`current()`, `settings()`,
  `queue()`, `box()`): the lifespan enters it before it starts the worker and the background
  loops, so their tasks inherit it, and `web/runtime_scope.py` enters the app's for each
  request that does not run under one already.

A context variable, not a module global: two apps, or two tests, in one process each see
their own, and what a test enters ends with it, so nothing needs resetting. The hub and the
ingress are typed `object` here because their packages import this module (a typed import
back would be a cycle); `core.hub.get_hub()` and `core.ingress` read them back typed.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from core.crypto import KeyConfigError, SecretBox, key_from_settings
from core.domain.login import LoginLimits, PasswordLogin
from core.settings import Settings


@dataclasses.dataclass(kw_only=True, eq=False)
class Runtime:
    settings: Settings = dataclasses.field(default_factory=Settings)
    session_lifetime: timedelta = timedelta(hours=12)
    """How long a browser session lasts without activity (`session_hours`)."""
    login_limits: LoginLimits = dataclasses.field(default_factory=LoginLimits)
    """Failed sign-ins allowed per window (`login_max_failures`, `login_window_minutes`)."""
    password_login: PasswordLogin = dataclasses.field(default_factory=PasswordLogin)
    """Who may sign in with a password (`password_login`, `break_glass_admin`)."""
    box: SecretBox | None = None
    """Seals and opens stored secrets; None when no master key is configured."""
    queue: Any = None
    """The SAQ queue this process enqueues background jobs on, once connected."""
    hub: object = None
    """This process's agent hub (core.hub.Hub), once started."""
    ingress: object = None
    """This process's ingress syncer and Caddy (core.ingress.RunningIngress), once started."""
    own_caddy: bool = False
    """`shoal up`: the ingress starts a Caddy of its own unless `caddy_admin` names one."""

    @classmethod
    def from_settings(cls, settings: Settings, **extra: Any) -> Runtime:
        return cls(
            settings=settings,
            session_lifetime=timedelta(hours=settings.session_hours),
            login_limits=LoginLimits(
                max_failures=settings.login_max_failures,
                window=timedelta(minutes=settings.login_window_minutes),
            ),
            password_login=PasswordLogin(
                enabled=settings.password_login,
                break_glass_admin=settings.break_glass_admin.strip().lower(),
            ),
            box=box_from_settings(settings),
            **extra,
        )


def box_from_settings(settings: Settings) -> SecretBox | None:
    """The settings' master key and the older ones still accepted; None without a key."""
    if not settings.secret_key:
        return None
    primary = key_from_settings(settings.secret_key)
    older = [
        key_from_settings(k, "SHOAL_OLD_SECRET_KEYS")
        for k in settings.old_secret_keys.split(",")
        if k.strip()
    ]
    return SecretBox(primary, older)


_current: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "shoal_runtime", default=None
)


def enter(runtime: Runtime) -> contextvars.Token[Runtime | None]:
    """This task, and the tasks it starts from now on, run with `runtime`."""
    return _current.set(runtime)


@contextlib.contextmanager
def entered(runtime: Runtime) -> Iterator[Runtime]:
    """`enter` for the length of a block (a synchronous caller, which has no task to end it)."""
    token = _current.set(runtime)
    try:
        yield runtime
    finally:
        _current.reset(token)


def install(**changes: Any) -> Runtime:
    """Enter a copy of the current runtime (or of a default one) with `changes`: what a test
    sets up for itself (a key, settings, a queue, a hub) without touching anyone else's."""
    found = _current.get()
    base = found if found is not None else Runtime()
    made = dataclasses.replace(base, **changes)
    _current.set(made)
    return made


def current() -> Runtime | None:
    """The runtime of this task, if one was entered."""
    return _current.get()


def settings() -> Settings:
    """The settings of this task's runtime (the defaults outside one)."""
    found = _current.get()
    return found.settings if found is not None else Settings()


def queue() -> Any:
    found = _current.get()
    if found is None or found.queue is None:
        raise RuntimeError("the job queue is not started in this process")
    return found.queue


def box() -> SecretBox:
    found = _current.get()
    if found is None or found.box is None:
        raise KeyConfigError("The master key is not configured in this process.")
    return found.box
