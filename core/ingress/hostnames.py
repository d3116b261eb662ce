"""Ingress host names: `<service>.<deployment>.<environment>.<base domain>`, checked and turned
into the URLs users open.

Creation code asks `hostname_problem` (or `check_hostname`, which raises InvalidInput) before it
saves anything, so a name that cannot become a host is refused with a reason instead of being
silently left out of the ingress. The names are derived from stable names only (never ids), so a
deployment recreated with the same name in the same environment gets the same URLs.
"""

from __future__ import annotations

import re
from functools import lru_cache

import msgspec

from core.errors import InvalidInput

DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_HOSTNAME = 253
TLS_MODES = ("off", "internal", "acme")


class HostnameProblem(msgspec.Struct, frozen=True):
    """Why a combination cannot form a host name; `part` names the offending piece."""

    part: str
    """"service", "deployment", "environment" or "base_domain"."""
    value: str
    reason: str


@lru_cache(maxsize=65536)  # a sync re-checks every host; most labels repeat
def _label_reason(value: str) -> str | None:
    if not value:
        return "is empty"
    if len(value) > 63:
        return "is longer than 63 characters"
    if value != value.lower():
        return "has uppercase letters (use lowercase)"
    if not DNS_LABEL.fullmatch(value):
        return "may only hold a-z, 0-9 and '-', and may not start or end with '-'"
    return None


def hostname_problem(
    service: str, deployment: str, environment: str, base_domain: str
) -> HostnameProblem | None:
    """None when the four parts form a valid host name, else the first problem found."""
    for part, value in (
        ("service", service),
        ("deployment", deployment),
        ("environment", environment),
    ):
        reason = _label_reason(value)
        if reason:
            return HostnameProblem(part, value, f"The {part} name '{value}' {reason}.")
    domain = base_domain.rstrip(".")
    for label in domain.split("."):
        reason = _label_reason(label)
        if reason:
            return HostnameProblem(
                "base_domain",
                base_domain,
                f"The base domain '{base_domain}' is not a DNS name: label '{label}' {reason}.",
            )
    host = f"{service}.{deployment}.{environment}.{domain}"
    if len(host) > MAX_HOSTNAME:
        return HostnameProblem(
            "deployment",
            deployment,
            f"The URL host '{host[:40]}…' would be {len(host)} characters; the limit is "
            f"{MAX_HOSTNAME}. Use shorter names.",
        )
    return None


def check_hostname(service: str, deployment: str, environment: str, base_domain: str) -> str:
    """The host name, or InvalidInput whose `field` is the offending part."""
    problem = hostname_problem(service, deployment, environment, base_domain)
    if problem is not None:
        raise InvalidInput(problem.reason, problem.part)
    return hostname(service, deployment, environment, base_domain)


def hostname(service: str, deployment: str, environment: str, base_domain: str) -> str:
    return f"{service}.{deployment}.{environment}.{base_domain.rstrip('.')}"


def _split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    return host, int(port)


def tls_bind(ingress_bind: str, configured: str = "") -> str:
    """Where HTTPS hosts are served: `configured`, else port 443 beside port 80, else port + 1."""
    if configured:
        return configured
    host, port = _split_bind(ingress_bind)
    return f"{host}:{443 if port == 80 else port + 1}"


def service_url(host: str, tls_mode: str, ingress_bind: str, tls_bind_address: str = "") -> str:
    """The URL users open for `host`; it carries the port unless it is 80 (http) or 443 (https)."""
    if tls_mode == "off":
        _, port = _split_bind(ingress_bind)
        return f"http://{host}" + ("" if port == 80 else f":{port}")
    _, port = _split_bind(tls_bind(ingress_bind, tls_bind_address))
    return f"https://{host}" + ("" if port == 443 else f":{port}")


def control_plane_dial(bind: str) -> str:
    """Where Caddy reaches Shoal's own listener (`SHOAL_BIND`): a wildcard bind is reached on
    loopback, since `up` and a local Caddy share the machine."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
