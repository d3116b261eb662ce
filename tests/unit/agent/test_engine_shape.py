"""The real Engine and the fake one offer every operation of the Engine protocol, with the same
parameters: an operation added to one side only fails here, not in a slow test (issue 15)."""

from __future__ import annotations

import inspect

import pytest

from agent.engine import Engine
from agent.runtime.engine import DockerEngine

from .fake_engine import FakeEngine

OPERATIONS = sorted(
    name for name, member in vars(Engine).items() if callable(member) and not name.startswith("_")
)
ATTRIBUTES = sorted(name for name in Engine.__annotations__ if not name.startswith("_"))


def test_the_protocol_names_the_operations_the_agent_uses():
    assert {"create_network", "start_service", "run_plugin", "remove_containers"} <= set(OPERATIONS)
    assert ATTRIBUTES == ["available", "comebacks", "version"]


@pytest.mark.parametrize("implementation", [DockerEngine, FakeEngine])
@pytest.mark.parametrize("name", OPERATIONS)
def test_each_engine_has_the_operation_with_its_parameters(implementation, name):
    wanted, offered = getattr(Engine, name), getattr(implementation, name, None)
    assert offered is not None, f"{implementation.__name__} lacks {name}"
    assert inspect.iscoroutinefunction(offered) == inspect.iscoroutinefunction(wanted)
    wanted_names = list(inspect.signature(wanted).parameters)
    offered_parameters = list(inspect.signature(offered).parameters.values())
    assert [p.name for p in offered_parameters[: len(wanted_names)]] == wanted_names
    extra = offered_parameters[len(wanted_names) :]  # its own knobs, never needed by a caller
    assert all(p.default is not inspect.Parameter.empty for p in extra)


@pytest.mark.parametrize("implementation", [DockerEngine, FakeEngine])
def test_each_engine_keeps_the_daemon_state(implementation):
    engine = implementation("a1")
    assert all(hasattr(engine, name) for name in ATTRIBUTES)
