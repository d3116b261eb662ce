"""Shoal's error tree, in one place.

    ShoalError                      base; `detail` is safe to show to the user
    ├── NotFound          (404)     the object does not exist *or the actor may not see it*
    ├── Forbidden         (403)     visible, but the actor's level does not allow this action
    ├── Conflict          (409)     duplicate name, stale version, object still in use
    ├── InvalidInput      (422)     a field failed validation; `field` names it for forms
    ├── Throttled         (429)     too many attempts; `retry_after` seconds
    ├── CapacityExceeded  (409)     no node of the environment fits the project's limits
    ├── AgentUnavailable  (503)     the node's agent cannot be reached now
    └── Unavailable       (503)     a dependency (database, queue, registry, ingress) is down

The web layer maps each class to an HTTP status (`status_code`) and renders HTML or JSON;
core code raises these and never builds HTTP responses itself.
"""

from __future__ import annotations

# What a value PostgreSQL refuses to store (NUL in text, a number beyond its column) is
# answered with, wherever it is caught: by the audit of a refused action or by the web layer.
UNSTORABLE = "A value is out of range or contains a character that cannot be stored (such as NUL)."


class ShoalError(Exception):
    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ShoalError):
    status_code = 404


class Forbidden(ShoalError):
    status_code = 403


class Conflict(ShoalError):
    status_code = 409

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class InvalidInput(ShoalError):
    status_code = 422

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class Throttled(ShoalError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class CapacityExceeded(ShoalError):
    status_code = 409


class AgentUnavailable(ShoalError):
    status_code = 503


class Unavailable(ShoalError):
    status_code = 503
