"""The SDK's error tree; each error knows the ``error.type`` and exit code it becomes::

    PluginError            expected failure: exit 1, message on stderr, no traceback
    ├── InvalidInput       bad stdin or params: exit 2, every bad field named in ``fields``
    └── WaitTimeout        a readiness wait ran out of time: exit 1

Any other exception is a bug or an unexpected failure: exit 1 with its traceback on stderr and
``{"error": {"type": "exception", ...}}`` on stdout.
"""

from __future__ import annotations

from ._types import EXIT_FAILED, EXIT_INVALID_INPUT


class PluginError(Exception):
    """Raise to fail the step with a clear message and no traceback."""

    error_type = "plugin_error"
    exit_code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(PluginError):
    """The input cannot be used; ``fields`` maps each bad field (``params.url``) to its problem."""

    error_type = "invalid_input"
    exit_code = EXIT_INVALID_INPUT

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        self.fields = dict(fields)
        summary = "; ".join(f"{name}: {problem}" for name, problem in sorted(self.fields.items()))
        super().__init__(message or f"invalid input: {summary}")


class WaitTimeout(PluginError):
    """A wait_for_* helper reached its deadline; the message says what was last seen."""

    error_type = "timeout"
