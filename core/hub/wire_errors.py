"""A ShoalError carried across the follower → leader hop (core.hub.forward) as plain data.

Each class has a fixed code in `CODES`; the receiving side looks the code up there and builds
the class itself, so nothing on the wire can name an arbitrary class (no pickle, no lookup by
Python name). An error whose class has no code of its own (a service's private subclass) goes
as its nearest coded ancestor and keeps its own status and message.
"""

from __future__ import annotations

import msgspec

from core.errors import (
    AgentUnavailable,
    CapacityExceeded,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ShoalError,
    Throttled,
    Unavailable,
)
from core.hub.session import AgentNotFound, AgentRequestFailed

# Codes are the wire format: never reuse or rename one, only add.
CODES: dict[str, type[ShoalError]] = {
    "error": ShoalError,
    "not_found": NotFound,
    "forbidden": Forbidden,
    "conflict": Conflict,
    "invalid_input": InvalidInput,
    "throttled": Throttled,
    "capacity_exceeded": CapacityExceeded,
    "agent_unavailable": AgentUnavailable,
    "unavailable": Unavailable,
    "agent_request_failed": AgentRequestFailed,
    "agent_not_found": AgentNotFound,
}
_CODE_OF = {cls: code for code, cls in CODES.items()}


class WireError(msgspec.Struct, kw_only=True):
    code: str
    detail: str
    status_code: int
    field: str | None = None  # Conflict, InvalidInput: the form field it is about
    retry_after: int | None = None  # Throttled


def to_wire(error: ShoalError) -> WireError:
    code = next(_CODE_OF[cls] for cls in type(error).__mro__ if cls in _CODE_OF)
    return WireError(
        code=code,
        detail=error.detail,
        status_code=error.status_code,
        field=getattr(error, "field", None),
        retry_after=getattr(error, "retry_after", None),
    )


def from_wire(wire: WireError) -> ShoalError:
    """The error to raise on this side; an unknown code (a newer peer) is a plain ShoalError
    with the status and message it was sent with."""
    cls = CODES.get(wire.code, ShoalError)
    error: ShoalError
    if issubclass(cls, Throttled):
        error = cls(wire.detail, retry_after=wire.retry_after or 0)
    elif issubclass(cls, (Conflict, InvalidInput)):
        error = cls(wire.detail, field=wire.field)
    else:
        error = cls(wire.detail)
    if error.status_code != wire.status_code:  # a subclass with a status of its own
        error.status_code = wire.status_code
    return error
