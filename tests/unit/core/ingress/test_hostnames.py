import pytest

from core.errors import InvalidInput
from core.ingress.hostnames import (
    check_hostname,
    hostname,
    hostname_problem,
    service_url,
    tls_bind,
)


def test_valid_parts_form_the_documented_host():
    assert hostname_problem("api", "demo-1", "qa", "shoal.example.com") is None
    assert check_hostname("api", "demo-1", "qa", "shoal.example.com.") == (
        "api.demo-1.qa.shoal.example.com"
    )
    assert hostname("web", "x", "qa", "localhost") == "web.x.qa.localhost"


@pytest.mark.parametrize(
    ("parts", "part", "words"),
    [
        (("api_1", "demo", "qa", "ex.com"), "service", "may only hold"),
        (("API", "demo", "qa", "ex.com"), "service", "uppercase"),
        (("", "demo", "qa", "ex.com"), "service", "is empty"),
        (("api", "-demo", "qa", "ex.com"), "deployment", "start or end with '-'"),
        (("api", "d" * 64, "qa", "ex.com"), "deployment", "longer than 63"),
        (("api", "demo", "q.a", "ex.com"), "environment", "may only hold"),
        (("api", "demo", "qa", "ex..com"), "base_domain", "label '' is empty"),
        (("api", "demo", "qa", "ex ample.com"), "base_domain", "not a DNS name"),
        (("api", "demo", "qa", "*.ex.com"), "base_domain", "not a DNS name"),
    ],
)
def test_each_bad_part_is_named_with_a_reason(parts, part, words):
    problem = hostname_problem(*parts)
    assert problem is not None
    assert problem.part == part
    assert words in problem.reason
    with pytest.raises(InvalidInput) as caught:
        check_hostname(*parts)
    assert caught.value.field == part
    assert caught.value.detail == problem.reason


def test_a_host_longer_than_253_characters_is_refused():
    domain = ".".join(["a" * 60] * 3)  # 182 characters
    assert hostname_problem("s" * 30, "d" * 30, "e" * 8, domain) is None  # 253 exactly
    problem = hostname_problem("s" * 30, "d" * 31, "e" * 8, domain)
    assert problem is not None and problem.part == "deployment"
    assert "254 characters" in problem.reason


def test_urls_carry_the_port_unless_it_is_the_default():
    assert service_url("a.b.c.d", "off", ":80") == "http://a.b.c.d"
    assert service_url("a.b.c.d", "off", "127.0.0.1:8880") == "http://a.b.c.d:8880"
    assert service_url("a.b.c.d", "internal", ":80") == "https://a.b.c.d"
    assert service_url("a.b.c.d", "acme", "127.0.0.1:8880") == "https://a.b.c.d:8881"
    assert service_url("a.b.c.d", "acme", ":8880", ":443") == "https://a.b.c.d"


def test_tls_listener_sits_beside_the_plain_one():
    assert tls_bind(":80") == ":443"
    assert tls_bind("0.0.0.0:80") == "0.0.0.0:443"
    assert tls_bind("127.0.0.1:8880") == "127.0.0.1:8881"
    assert tls_bind("127.0.0.1:8880", "127.0.0.1:9443") == "127.0.0.1:9443"
