"""What the settings say about signing in, as the web runtime carries it (core/runtime.py)."""

from __future__ import annotations

from datetime import timedelta

import msgspec


class PasswordLogin(msgspec.Struct, frozen=True, kw_only=True):
    """`password_login` and `break_glass_admin`."""

    enabled: bool = True
    break_glass_admin: str = "admin"  # lower case, stripped

    def allows(self, username: str) -> bool:
        name = username.strip().lower()
        return self.enabled or (bool(self.break_glass_admin) and name == self.break_glass_admin)


class LoginLimits(msgspec.Struct, frozen=True, kw_only=True):
    """`login_max_failures` and `login_window_minutes`: failed sign-ins allowed per window."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
