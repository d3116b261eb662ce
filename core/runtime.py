"""What the web process builds from its settings at start, as one object passed down.

The lifespan makes one `Runtime` and keeps it on `app.state.runtime`; handlers ask for it
as the `runtime` dependency and middleware reads it from the scope's app, so two apps in
one process (tests) each keep their own values and nothing needs resetting.

Holds only what has been moved off module globals so far; web/lifespan.py
`configure_services` still sets the rest.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec

from core.services.accounts import PasswordLogin
from core.services.throttle import LoginLimits
from core.settings import Settings


class Runtime(msgspec.Struct, frozen=True, kw_only=True):
    session_lifetime: timedelta = timedelta(hours=12)
    """How long a browser session lasts without activity (`session_hours`)."""
    login_limits: LoginLimits = LoginLimits()
    """Failed sign-ins allowed per window (`login_max_failures`, `login_window_minutes`)."""
    password_login: PasswordLogin = PasswordLogin()
    """Who may sign in with a password (`password_login`, `break_glass_admin`)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            session_lifetime=timedelta(hours=settings.session_hours),
            login_limits=LoginLimits(
                max_failures=settings.login_max_failures,
                window=timedelta(minutes=settings.login_window_minutes),
            ),
            password_login=PasswordLogin(
                enabled=settings.password_login,
                break_glass_admin=settings.break_glass_admin.strip().lower(),
            ),
        )
