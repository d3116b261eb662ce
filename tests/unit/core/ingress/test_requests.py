"""Requests per host from Caddy's metrics, and asking Caddy to count them (issue 20)."""

from __future__ import annotations

from core.ingress.binary import supports_host_metrics
from core.ingress.config import IngressOptions, build_owned
from core.ingress.document import merge_into, owned_part
from core.ingress.requests import METRICS, parse_host_requests

OPTIONS = IngressOptions(listen=":8880", tls_listen=":8881", public_url="http://shoal")
ADMIN = {"listen": "127.0.0.1:2999"}

TEXT = """\
# HELP caddy_http_requests_total Counter of HTTP(S) requests made.
# TYPE caddy_http_requests_total counter
caddy_http_requests_total{handler="map",host="web.pr-1.qa.x.test",server="shoal"} 3
caddy_http_requests_total{handler="subroute",host="web.pr-1.qa.x.test",server="shoal"} 2
caddy_http_requests_total{handler="map",host="api.pr-1.qa.x.test",server="shoal-tls"} 1e+06
caddy_http_requests_total{handler="map",host="_other",server="shoal"} 40
caddy_http_requests_total{handler="map",server="shoal"} 9
caddy_http_requests_total_other{host="web.pr-1.qa.x.test"} 7
caddy_http_request_duration_seconds_count{host="web.pr-1.qa.x.test"} 5
"""


def test_counts_are_summed_per_host_and_hosts_caddy_does_not_name_are_left_out():
    assert parse_host_requests(TEXT) == {
        "web.pr-1.qa.x.test": 5,
        "api.pr-1.qa.x.test": 1_000_000,
    }


def test_a_caddy_without_host_labels_gives_no_counts():
    debian_26 = 'caddy_http_requests_total{handler="reverse_proxy",server="shoal"} 12\n'
    assert parse_host_requests(debian_26) == {}
    assert parse_host_requests('caddy_http_requests_total{host="a"} not-a-number\n') == {}


def test_only_a_caddy_known_to_count_per_host_is_asked_to():
    assert supports_host_metrics((2, 11, 7)) and supports_host_metrics((3, 0, 0))
    assert not supports_host_metrics((2, 6, 2)) and not supports_host_metrics(None)


def test_metrics_are_part_of_the_config_only_when_asked_for():
    plain = build_owned([], OPTIONS)
    assert "metrics" not in plain
    assert "metrics" not in merge_into(None, plain, ADMIN)["apps"]["http"]
    counted = build_owned([], IngressOptions(**{**_fields(OPTIONS), "host_metrics": True}))
    document = merge_into(None, counted, ADMIN)
    assert document["apps"]["http"]["metrics"] == METRICS
    assert owned_part(document, metrics=True) == counted
    # A config that lost them (Caddy restarted empty) differs, so the syncer loads again.
    del document["apps"]["http"]["metrics"]
    assert owned_part(document, metrics=True) != counted
    assert owned_part(document) == plain | {"servers": counted["servers"]}


def _fields(options: IngressOptions) -> dict:
    return {name: getattr(options, name) for name in options.__struct_fields__}
