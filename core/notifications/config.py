"""A channel's config per kind, checked, sealed under the master key and opened to send.

slack / teams: `url`. webhook: `url`, `secret` (the HMAC key). email: `host`, `port`,
`security` (starttls | tls | none), `username`, `password`, `sender`, `to` (a list).
Personal channels hold only `to`: they send through the server in the `smtp_url` setting.
Only `summary` (host names and recipients, never a token or password) is ever shown."""

from __future__ import annotations

import json
import secrets
import urllib.parse
from typing import Any

from core import runtime
from core.domain.notifications import BadTarget, check_webhook_url
from core.errors import InvalidInput

SECURITIES = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def context_of(channel_id: int) -> str:
    return f"notification.channel:{channel_id}"


def seal(channel_id: int, config: dict[str, Any]) -> str:
    return runtime.box().encrypt(json.dumps(config), context_of(channel_id))


def open_config(channel: dict[str, Any]) -> dict[str, Any]:
    config = json.loads(
        runtime.box().decrypt(channel["config_ciphertext"], context_of(channel["id"]))
    )
    if channel.get("user") is not None:  # personal: the installation's mail server
        config = {**smtp_from_settings(), "to": config["to"]}
    return config


def smtp_from_settings() -> dict[str, Any]:
    """`smtp_url` = smtp://, smtp+starttls:// or smtps:// [user:password@] host [:port]."""
    settings = runtime.settings()
    parts = urllib.parse.urlsplit(settings.smtp_url)
    security = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "tls"}.get(parts.scheme)
    if security is None or not parts.hostname:
        raise InvalidInput("No mail server is configured (the `smtp_url` setting).")
    return {
        "host": parts.hostname,
        "port": parts.port or DEFAULT_PORTS[security],
        "security": security,
        "username": urllib.parse.unquote(parts.username or ""),
        "password": urllib.parse.unquote(parts.password or ""),
        "sender": settings.smtp_from or f"shoal@{parts.hostname}",
    }


def build(kind: str, given: dict[str, Any], previous: dict[str, Any]) -> tuple[dict, str]:
    """(config, summary) from what a form or API call gave; an empty secret field keeps the
    stored one (so editing a channel never needs its password again)."""
    if kind in ("slack", "teams", "webhook"):
        url = given.get("url") or previous.get("url", "")
        if not url:
            raise InvalidInput("Give the webhook URL.", field="url")
        try:
            url = check_webhook_url(url, runtime.settings().effective_public_url)
        except BadTarget as exc:
            raise InvalidInput(str(exc), field="url") from None
        config: dict[str, Any] = {"url": url}
        if kind == "webhook":
            config["secret"] = (
                given.get("secret") or previous.get("secret") or secrets.token_urlsafe(32)
            )
        return config, urllib.parse.urlsplit(url).hostname or ""
    if kind == "email":
        return _email(given, previous)
    raise InvalidInput("Choose Slack, Teams, e-mail or webhook.", field="kind")


def _email(given: dict[str, Any], previous: dict[str, Any]) -> tuple[dict, str]:
    security = given.get("security") or "starttls"
    if security not in SECURITIES:
        raise InvalidInput("Security is starttls, tls or none.", field="security")
    host = (given.get("host") or "").strip()
    if not host or any(ch.isspace() or ch in "/@" for ch in host):
        raise InvalidInput("Give the SMTP server's host name.", field="host")
    try:
        port = int(given.get("port") or DEFAULT_PORTS[security])
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise InvalidInput("The port is a number from 1 to 65535.", field="port")
    to = recipients(given.get("to"))
    sender = (given.get("sender") or "").strip()
    if "@" not in sender:
        raise InvalidInput("Give the sender's address (From).", field="sender")
    config = {
        "host": host,
        "port": port,
        "security": security,
        "username": (given.get("username") or "").strip(),
        "password": given.get("password") or previous.get("password", ""),
        "sender": sender,
        "to": to,
    }
    return config, f"{host}:{port} → {', '.join(to)}"[:256]


def recipients(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").replace(";", ",").split(",")
    found = [item.strip() for item in items if item.strip()]
    if not found or any("@" not in item or " " in item for item in found):
        raise InvalidInput("Give one or more e-mail addresses, comma-separated.", field="to")
    return found
