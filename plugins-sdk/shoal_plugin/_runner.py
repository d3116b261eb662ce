"""The entry point: stdin → checked Context → apply/rollback → one stdout document → exit code."""

from __future__ import annotations

import inspect
import json
import logging
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeVar

from ._errors import PluginError
from ._io import claim_stdout, get_logger, parse_invocation, read_stdin, write_document
from ._params import parse_params
from ._types import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_TERMINATED,
    Action,
    Deployment,
    error_document,
    success_document,
)

P = TypeVar("P")
Handler = Callable[["Context[Any]"], Any]


@dataclass(frozen=True, slots=True)
class Context(Generic[P]):
    """What a handler gets: the checked params instance and the rest of the stdin document."""

    action: Action
    params: P
    deployment: Deployment
    secrets: dict[str, str]
    inputs: dict[str, Any]
    log: logging.Logger
    data: dict[str, Any] = field(default_factory=dict)  # a data action's argument


class Terminated(BaseException):
    """SIGTERM arrived (a runner timeout); a BaseException so ``except Exception`` lets it by."""


def _call(handler: Handler, context: Context[Any]) -> dict[str, Any]:
    result = handler(context)
    if inspect.isawaitable(result):
        # Imported here: asyncio costs ~0.1 s of every plugin's start, and few handlers are async.
        import asyncio

        result = asyncio.run(_await(result))
    if result is None:
        return {}
    if not isinstance(result, dict) or not all(isinstance(key, str) for key in result):
        raise TypeError(f"{handler.__name__} must return a dict with str keys or None")
    # A value JSON cannot carry (an object, NaN) fails here as an exception, not on stdout.
    json.dumps(result, allow_nan=False)
    return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def execute(
    stdin_text: str,
    *,
    apply: Handler,
    rollback: Handler | None = None,
    params: type | None = None,
    log: logging.Logger | None = None,
    actions: dict[str, Handler] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run one invocation in-process: the exit code and the stdout document. Never raises
    (except BaseExceptions such as Terminated), so the caller always has something to write."""
    log = log or get_logger()
    try:
        invocation = parse_invocation(stdin_text)
        checked = parse_params(params, invocation.params) if params else invocation.params
        context = Context(
            action=invocation.action,
            params=checked,
            deployment=invocation.deployment,
            secrets=invocation.secrets,
            inputs=invocation.inputs,
            log=log,
            data=invocation.data,
        )
        if invocation.action == "apply":
            return EXIT_OK, success_document(_call(apply, context))
        if invocation.action != "rollback":
            handler = (actions or {}).get(invocation.action)
            if handler is None:
                raise PluginError(f"this plugin does not offer the {invocation.action!r} action")
            return EXIT_OK, success_document(_call(handler, context))
        if rollback is None:
            log.info("this plugin has nothing to roll back")
            return EXIT_OK, success_document({})
        return EXIT_OK, success_document(_call(rollback, context))
    except PluginError as exc:
        log.error("%s", exc.message)
        return exc.exit_code, error_document(
            exc.error_type, exc.message, getattr(exc, "fields", None)
        )
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        return EXIT_FAILED, error_document("exception", f"{type(exc).__name__}: {exc}")


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated


def run(
    *,
    apply: Handler,
    rollback: Handler | None = None,
    params: type | None = None,
    actions: dict[str, Handler] | None = None,
) -> NoReturn:
    """Read stdin, call ``apply``, ``rollback`` or the data action's handler in ``actions``
    (checkpoint, reset, drop_checkpoint, usage) with a Context, write the result, exit.

    A handler returns its outputs (a dict, or None for none) or raises: PluginError for a clear
    failure, InvalidInput for bad params it found itself, anything else for a traceback.
    """
    result_stream = claim_stdout()
    signal.signal(signal.SIGTERM, _on_sigterm)
    log = get_logger()
    try:
        code, document = execute(
            read_stdin(), apply=apply, rollback=rollback, params=params, log=log, actions=actions
        )
    except Terminated:
        log.error("terminated (SIGTERM) before finishing")
        code, document = EXIT_TERMINATED, error_document("terminated", "stopped by SIGTERM")
    except KeyboardInterrupt:
        code, document = 128 + signal.SIGINT, error_document("terminated", "interrupted")
    write_document(result_stream, document)
    sys.exit(code)
