"""Who is acting: passed explicitly into every service call that changes something."""

import msgspec


class Actor(msgspec.Struct, frozen=True):
    id: int | None
    username: str
    is_admin: bool = False

    @classmethod
    def system(cls, what: str = "system") -> "Actor":
        """Shoal itself (the sweeper, `up`'s bootstrap), recorded as such in the audit log."""
        return cls(id=None, username=what, is_admin=True)
