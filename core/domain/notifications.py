"""Notifications as rules, no I/O: which events exist (adding a kind is one entry in KINDS),
which channel kinds exist, when a failed delivery is tried again, which webhook URLs are
acceptable, and how a generic webhook body is signed.

Signature (like Stripe's): `X-Shoal-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA256(secret, f"{t}.{body}"). Receivers recompute it and refuse an old `t` (replay).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    title: str  # what happened, as a message headline says it
    about_nodes: bool = False  # node events go to admins' channels only


# The one place an event kind is declared.
KINDS: dict[str, Kind] = {
    "ready": Kind("is ready"),
    "failed": Kind("failed"),
    "deleted": Kind("was deleted"),
    "slept": Kind("went to sleep"),
    "woke": Kind("woke up"),
    "expiring": Kind("expires soon"),
    "node_offline": Kind("went offline", about_nodes=True),
    "node_online": Kind("is back online", about_nodes=True),
    "test": Kind("test message"),
}
SUBSCRIBABLE = [kind for kind in KINDS if kind != "test"]
PERSONAL_EVENTS = ["ready", "failed", "deleted", "expiring"]

CHANNEL_KINDS = ("slack", "teams", "email", "webhook")
SCOPES = ("global", "environment", "project", "personal")

# Delivery: retried with exponential backoff while the endpoint fails for 5xx, timeouts and
# refused connections, for at most a day; a 4xx is final (the request itself is wrong).
FIRST_RETRY_S = 5.0
MAX_RETRY_S = 3600.0
GIVE_UP_AFTER = datetime.timedelta(hours=24)
ATTEMPT_TIMEOUT_S = 10.0


def retry_delay(attempts: int) -> float:
    """Seconds to wait after `attempts` failed attempts (1 → 5 s, 2 → 10 s, … capped at 1 h)."""
    return min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1))


def next_attempt(
    attempts: int, created_at: datetime.datetime, now: datetime.datetime
) -> datetime.datetime | None:
    """When to try again, or None when the day of retries is over."""
    when = now + datetime.timedelta(seconds=retry_delay(attempts))
    return None if when - created_at > GIVE_UP_AFTER else when


def is_final_status(code: int) -> bool:
    """An HTTP answer after which no retry can help (4xx, 3xx: redirects are not followed) or
    is needed (2xx). 408 and 429 say "later", so they are retried like a 5xx."""
    return code < 500 and code not in (408, 429)


class BadTarget(ValueError):
    """A webhook URL Shoal refuses to post to; the message says why."""


def check_webhook_url(url: str, control_plane_url: str) -> str:
    """http(s) only, with a host, and not the control plane itself (a loop, or a way to make it
    call its own endpoints). Returns the URL stripped."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BadTarget("The URL must start with http:// or https://.")
    if not parts.hostname or any(ch.isspace() for ch in url):
        raise BadTarget("The URL has no valid host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadTarget("The URL's port is not a number between 0 and 65535.") from None
    own = urllib.parse.urlsplit(control_plane_url)
    own_port = own.port or (443 if own.scheme == "https" else 80)
    if _same_host(parts.hostname, own.hostname or "") and port == own_port:
        raise BadTarget("The URL points at this Shoal control plane itself.")
    return url


def _same_host(a: str, b: str) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    if a == b:
        return True
    loopback = {"localhost", "ip6-localhost"}
    return _is_local(a, loopback) and _is_local(b, loopback)


def _is_local(host: str, names: set[str]) -> bool:
    if host in names:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"
