"""One attempt to hand a message over: an HTTP POST (no redirects followed, a per-attempt
timeout) or one SMTP submission (STARTTLS, TLS or plain). Each says whether it was
delivered, and if not whether trying again later can help."""

from __future__ import annotations

import asyncio
import functools
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

import httpx
import msgspec

from core.domain.notifications import ATTEMPT_TIMEOUT_S, is_final_status


class Outcome(msgspec.Struct, frozen=True):
    delivered: bool
    retry: bool = False
    error: str = ""


def new_client(connections: int = 1) -> httpx.AsyncClient:
    """One per drain, shared by its sends: keep-alive spares a connection (and a TLS
    handshake) per message, and building a client cost as much as a local POST."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(follow_redirects=False, verify=_tls(), limits=limits)


async def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout_s: float = ATTEMPT_TIMEOUT_S,
    *,
    client: httpx.AsyncClient | None = None,
) -> Outcome:
    if client is None:
        async with new_client() as own:
            return await post(url, body, headers, timeout_s, client=own)
    headers = {"Content-Type": "application/json", "User-Agent": "Shoal-Notifications", **headers}
    try:
        answer = await client.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.TimeoutException:
        return Outcome(False, retry=True, error=f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        return Outcome(False, retry=True, error=f"could not connect: {exc or type(exc).__name__}")
    if 200 <= answer.status_code < 300:
        return Outcome(True)
    reason = f"HTTP {answer.status_code} {answer.reason_phrase}".strip()
    if answer.is_redirect:
        where = answer.headers.get("location", "")[:200]
        reason += f" to {where} (redirects are not followed: use the final URL)"
    else:
        reason += f": {answer.text[:300]}" if answer.text else ""
    return Outcome(False, retry=not is_final_status(answer.status_code), error=reason)


@functools.cache
def _tls() -> ssl.SSLContext:
    """Built once: loading the CA bundle for every message cost more than sending it."""
    return ssl.create_default_context()


def message(config: dict[str, Any], payload: dict[str, Any]) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = payload["subject"]
    mail["From"] = config["sender"]
    mail["To"] = ", ".join(config["to"])
    mail.set_content(payload["text"])
    mail.add_alternative(payload["html"], subtype="html")
    return mail


async def smtp(
    config: dict[str, Any], payload: dict[str, Any], timeout_s: float = ATTEMPT_TIMEOUT_S
) -> Outcome:
    return await asyncio.to_thread(_smtp, config, message(config, payload), timeout_s)


def _smtp(config: dict[str, Any], mail: EmailMessage, timeout_s: float) -> Outcome:
    host, port, security = config["host"], int(config["port"]), config.get("security", "starttls")
    tls = _tls()
    try:
        if security == "tls":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout_s, context=tls)
        else:
            server = smtplib.SMTP(host, port, timeout=timeout_s)
        with server:
            if security == "starttls":
                server.starttls(context=tls)
            if config.get("username"):
                server.login(config["username"], config.get("password", ""))
            server.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        return Outcome(False, error=f"the SMTP server refused the login: {_text(exc)}")
    except smtplib.SMTPResponseException as exc:
        # SMTP's 4xx is "try later", 5xx is final (the opposite of HTTP's meaning).
        return Outcome(False, retry=exc.smtp_code < 500, error=f"SMTP {_text(exc)}")
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(False, error=f"the SMTP server refused the recipients: {exc.recipients}")
    except (OSError, smtplib.SMTPException) as exc:
        return Outcome(False, retry=True, error=f"SMTP {host}:{port}: {exc or type(exc).__name__}")
    return Outcome(True)


def _text(exc: smtplib.SMTPResponseException) -> str:
    detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {detail}".strip()
