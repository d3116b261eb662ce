"""Every request type of the protocol has exactly one handler, and each handler is written for
the type it is registered under: a new request type fails here until it is handled."""

from __future__ import annotations

import inspect
import typing

from agent import protocol as p
from agent.handlers import HANDLERS


def test_every_request_type_has_a_handler_and_nothing_else_does():
    assert set(HANDLERS) == set(typing.get_args(p.Request))


def test_each_handler_answers_one_request_type_its_own():
    assert len({id(handler) for handler in HANDLERS.values()}) == len(HANDLERS)
    for kind, handler in HANDLERS.items():
        request = inspect.signature(handler).parameters["request"].annotation
        assert request == kind.__name__, f"{kind.__name__} is handled by {handler.__qualname__}"
        assert inspect.iscoroutinefunction(handler)
