"""Which host ports a service container is published on (agent/runtime/ports.py)."""

from __future__ import annotations

import socket

from agent.runtime.ports import candidates, free_port, is_taken


def test_the_old_port_comes_first_then_free_ones_then_dockers_own_pick():
    tried = list(candidates("127.0.0.1", 40123))
    assert tried[0] == 40123
    assert tried[-1] is None
    fresh = tried[1:-1]
    assert fresh and all(isinstance(port, int) and port != 40123 for port in fresh)


def test_without_an_old_port_a_free_one_comes_first():
    first = next(candidates("127.0.0.1", None))
    assert isinstance(first, int)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", first))  # free indeed


def test_an_address_the_agent_cannot_bind_still_gives_a_guess():
    # An address of another machine (TEST-NET-3): as for an agent in a container of its own.
    assert isinstance(free_port("203.0.113.77"), int)


def test_dockers_two_ways_of_saying_the_port_is_taken():
    assert is_taken(Exception("Bind for 127.0.0.1:40002 failed: port is already allocated"))
    assert is_taken(
        Exception(
            "driver failed programming external connectivity on endpoint web (…): Error "
            "starting userland proxy: listen tcp4 127.0.0.1:40001: bind: address already in use"
        )
    )
    assert not is_taken(Exception("No such image: busybox:9"))
