"""Which publish address an agent may report (the ingress sends deployment traffic there)."""

import pytest

from core.domain.nodes import parse_networks, publish_address_problem

NETS = parse_networks("10.0.0.0/8, 192.0.2.7")


@pytest.mark.parametrize(
    ("reported", "host", "peer", "allowed"),
    [
        ("127.0.0.1", "127.0.0.1", "127.0.0.1", True),  # the local agent
        ("203.0.113.5", "node1.example.com", "203.0.113.5", True),  # the address we reached
        ("NODE1.example.com", "node1.example.com", "203.0.113.5", True),  # the host itself
        ("[2001:db8::1]", "node6", "2001:db8::1", True),
        ("203.0.113.5", "node1", "::ffff:203.0.113.5", True),  # an IPv4-mapped peer
        ("10.1.2.3", "node1.example.com", "203.0.113.5", True),  # in hub_publish_networks
        ("192.0.2.7", "node1.example.com", "203.0.113.5", True),
        ("127.0.0.1", "node1.example.com", "203.0.113.5", False),  # the CP's own loopback
        ("198.51.100.9", "node1.example.com", "203.0.113.5", False),  # someone else's machine
        ("evil.example.com", "node1.example.com", "203.0.113.5", False),
        ("", "node1.example.com", "203.0.113.5", False),
        ("10.1.2.3", "node1.example.com", "", False),  # no networks given below
    ],
)
def test_publish_address_rule(reported, host, peer, allowed):
    networks = NETS if peer else ()
    problem = publish_address_problem(reported, host, peer, networks)
    assert (problem is None) == allowed
    if not allowed:
        assert "--publish-address" in problem and "hub_publish_networks" in problem


def test_bad_networks_are_refused_at_startup():
    with pytest.raises(ValueError, match="no address or CIDR"):
        parse_networks("10.0.0.0/8, not-a-net")
    assert parse_networks("") == ()
