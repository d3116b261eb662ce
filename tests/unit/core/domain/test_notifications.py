"""Notification rules: which URLs are refused, the retry schedule, what ends the attempts and
the signature scheme (checked against a Stripe-style verification written here)."""

from __future__ import annotations

import datetime
import hashlib
import hmac

import pytest

from core.domain import notifications as n

CP = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.com/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("hooks.example.com/x", "http:// or https://"),
        ("http:///nohost", "no valid host"),
        ("http://127.0.0.1:8000/api/v1/deployments", "control plane itself"),
        ("http://localhost:8000/x", "control plane itself"),
        ("http://[::1]:8000/x", "control plane itself"),
        ("http://0.0.0.0:8000/x", "control plane itself"),
        ("http://example.com:99999/x", "port"),
    ],
)
def test_refused_webhook_urls_say_why(url, why):
    with pytest.raises(n.BadTarget, match=why):
        n.check_webhook_url(url, CP)


def test_the_control_plane_on_its_public_name_is_refused_too():
    with pytest.raises(n.BadTarget, match="itself"):
        n.check_webhook_url("https://shoal.example.com/x", "https://shoal.example.com")


@pytest.mark.parametrize(
    "url",
    ["https://hooks.slack.com/services/T/B/x", "http://127.0.0.1:9000/hook", " http://a.b/c "],
)
def test_accepted_webhook_urls(url):
    assert n.check_webhook_url(url, CP) == url.strip()


def test_backoff_doubles_to_an_hour_and_stops_after_a_day():
    assert [n.retry_delay(a) for a in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert n.retry_delay(30) == 3600
    created = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    soon = created + datetime.timedelta(minutes=1)
    assert n.next_attempt(1, created, soon) == soon + datetime.timedelta(seconds=5)
    late = created + datetime.timedelta(hours=23, minutes=30)
    assert n.next_attempt(20, created, late) is None


@pytest.mark.parametrize(
    ("code", "final"),
    [
        *[(200, True), (204, True), (302, True), (400, True), (404, True), (410, True)],
        *[(408, False), (429, False), (500, False), (502, False), (503, False)],
    ],
)
def test_which_answers_end_the_attempts(code, final):
    assert n.is_final_status(code) is final


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    header = n.sign("s3cret", b'{"a":1}', 1700000000)
    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(b"s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert (t, v1) == ("1700000000", expected)


def test_every_kind_has_a_title_and_subscribable_leaves_out_the_test():
    assert "test" not in n.SUBSCRIBABLE
    assert {
        "ready",
        "failed",
        "deleted",
        "slept",
        "woke",
        "expiring",
        "node_offline",
        "node_online",
    } <= set(n.SUBSCRIBABLE)
    assert all(kind.title for kind in n.KINDS.values())
