"""The hub's request table and the errors that cross the follower → leader hop."""

from __future__ import annotations

import inspect
import typing

import msgspec
import pytest

import core.errors
from agent import protocol as p
from core.errors import Conflict, InvalidInput, NotFound, ShoalError, Throttled
from core.hub import requests
from core.hub.requests import NOT_FORWARDED, ROUTES, Forward
from core.hub.wire_errors import CODES, WireError, from_wire, to_wire


def test_every_protocol_request_has_exactly_one_leader_handler_or_is_sent_by_the_leader_only():
    protocol_requests = set(typing.get_args(p.Request))
    routed = set(ROUTES) & protocol_requests
    assert routed | NOT_FORWARDED == protocol_requests
    assert not routed & NOT_FORWARDED
    # The hub's own notices are the only other routes, and each route is its own function.
    assert set(ROUTES) - protocol_requests == {requests.NodeChanged, requests.PluginsChanged}
    handlers = [route.handle for route in ROUTES.values()]
    assert len(set(handlers)) == len(handlers)
    assert all(inspect.getmodule(h) is requests for h in handlers)


def test_a_stream_route_is_an_async_generator_and_a_call_route_a_coroutine():
    for kind, route in ROUTES.items():
        if route.stream:
            assert inspect.isasyncgenfunction(route.handle), kind
        else:
            assert inspect.iscoroutinefunction(route.handle), kind


EXAMPLES = [
    requests.NodeChanged(),
    requests.PluginsChanged(),
    p.Deploy(
        id=0,
        spec=p.DeploymentSpec(
            id=4,
            name="d",
            environment="qa",
            limits=p.Limits(cpu=0.5, memory_mb=128),
            pipeline_version=1,
            nodes=[],
            secrets={"TOKEN": "s3cret"},
        ),
    ),
    p.Delete(id=0, deployment_id=4),
    p.Sleep(id=0, deployment_id=4),
    p.Wake(id=0, deployment_id=4),
    p.GetMetrics(id=0),
    p.RotateToken(id=0, new_key="ab" * 32),
    p.Logs(id=0, deployment_id=4, step="web", tail=5, follow=True, since=1.5),
    p.Exec(id=0, deployment_id=4, step="web", command=["sh", "-c", "echo é"], timeout_s=9),
    p.TerminalOpen(id=0, terminal="k1", deployment_id=4, step="web", shell="", cols=90, rows=30),
    p.TerminalInput(id=0, terminal="k1", data=b"ls\r\xff"),
    p.TerminalResize(id=0, terminal="k1", cols=120, rows=40),
    p.TerminalAck(id=0, terminal="k1", size=16384),
    p.TerminalClose(id=0, terminal="k1"),
    p.DataAction(id=0, deployment_id=4, step="appdb", action="reset", checkpoint="before"),
    p.DatasetPut(id=0, sha256="ab" * 32, size_bytes=3, offset=0, data=b"abc"),
]


def test_the_examples_cover_every_route():
    assert {type(example) for example in EXAMPLES} == set(ROUTES)


@pytest.mark.parametrize("request_message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_each_request_travels_as_itself(request_message):
    forward = Forward(node_id=7, request=request_message)
    wire = msgspec.json.encode(msgspec.to_builtins(forward))
    back = msgspec.convert(msgspec.json.decode(wire), Forward)
    assert back == forward and type(back.request) is type(request_message)


def test_an_unknown_request_type_is_refused_not_guessed():
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"node_id": 1, "request": {"type": "no_such_request", "id": 0}}, Forward)


def _shoal_errors() -> list[type[ShoalError]]:
    from core.hub import session

    found = {ShoalError}
    for module in (core.errors, session):
        found |= {
            cls
            for cls in vars(module).values()
            if isinstance(cls, type) and issubclass(cls, ShoalError)
        }
    return sorted(found, key=lambda cls: cls.__name__)


def _example(cls: type[ShoalError]) -> ShoalError:
    if issubclass(cls, Throttled):
        return cls("Wait.", retry_after=12)
    if issubclass(cls, (Conflict, InvalidInput)):
        return cls("Taken.", field="name")
    return cls(f"{cls.__name__} happened.")


@pytest.mark.parametrize("cls", _shoal_errors(), ids=lambda c: c.__name__)
def test_every_error_class_has_a_code_and_crosses_as_itself(cls):
    assert cls in CODES.values()
    error = _example(cls)
    wire = msgspec.json.encode(to_wire(error))
    back = from_wire(msgspec.json.decode(wire, type=WireError))
    assert type(back) is cls
    assert (back.status_code, back.detail) == (error.status_code, error.detail)
    assert getattr(back, "field", None) == getattr(error, "field", None)
    assert getattr(back, "retry_after", None) == getattr(error, "retry_after", None)


def test_codes_name_one_class_each():
    assert len(set(CODES.values())) == len(CODES)


def test_a_subclass_without_a_code_crosses_as_its_ancestor_with_its_own_status():
    class Gone(NotFound):
        status_code = 410

    back = from_wire(to_wire(Gone("It left.")))
    assert type(back) is NotFound and back.status_code == 410 and back.detail == "It left."


def test_an_unknown_code_is_a_plain_error_with_the_status_it_was_sent_with():
    back = from_wire(WireError(code="from_the_future", detail="Hm.", status_code=418))
    assert type(back) is ShoalError and back.status_code == 418 and back.detail == "Hm."
