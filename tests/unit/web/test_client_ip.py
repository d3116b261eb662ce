"""Which address X-Forwarded-For may name, and from whom it is believed."""

import re

import pytest

from core.settings import Settings, SettingsError, load_settings, networks
from web.client_ip import resolve

PROXIES = networks("10.0.0.0/8, 192.0.2.1")


@pytest.mark.parametrize(
    ("peer", "header", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: the header is ignored
        ("10.1.1.1", "", "10.1.1.1"),  # a proxy that says nothing is the client
        ("10.1.1.1", "198.51.100.1", "198.51.100.1"),
        ("10.1.1.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's prefix is not it
        ("10.1.1.1", "198.51.100.1, 192.0.2.1", "198.51.100.1"),  # through two proxies
        ("10.1.1.1", "10.2.2.2, 10.3.3.3", "10.2.2.2"),  # only proxies: the farthest one
        ("10.1.1.1", "198.51.100.1, not-an-ip", "10.1.1.1"),  # garbage: stop at the proxy
        ("10.1.1.1", "2001:db8::5", "2001:db8::5"),
        ("unknown", "198.51.100.1", "unknown"),
    ],
)
def test_forwarded_for_counts_only_from_proxies_and_only_its_last_untrusted_hop(
    peer, header, expected
):
    assert resolve(peer, header, PROXIES) == expected


def test_a_bad_proxy_entry_stops_the_program_with_its_name():
    with pytest.raises(SettingsError, match=re.escape("'10.0.0.0/33'")):
        load_settings(environ={"SHOAL_TRUSTED_PROXIES": "10.0.0.0/33"})
    assert Settings(trusted_proxies="").proxy_networks == ()
