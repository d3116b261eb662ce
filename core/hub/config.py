"""The hub's knobs and the reconnect backoff rule (pure, so unit tests pin it down)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

from core.domain.nodes import parse_networks

# Any 64-bit number every control-plane process of one installation agrees on.
DEFAULT_LOCK_KEY = 0x5340A1_4855_42
# The role a process's hub takes when neither SHOAL_HUB_ROLE nor the settings say. (The web
# app of the tests starts no hub at all: its lifespan runs with run_background=False.)
DEFAULT_ROLE = "auto"


@dataclass(frozen=True, kw_only=True)
class HubConfig:
    # No frame (a heartbeat is the usual one) for this long → the node is offline. Agents send
    # heartbeats every 10 s by default, so 3 missed ones.
    heartbeat_timeout_s: float = 30.0
    backoff_initial_s: float = 0.25
    backoff_max_s: float = 30.0
    open_timeout_s: float = 10.0  # TCP + TLS + WebSocket upgrade + Hello
    request_timeout_s: float = 60.0
    # Followers try the advisory lock this often, so one takes over within about this long.
    lock_poll_s: float = 1.0
    # The leader re-reads the node table this often, in case a change notice was lost.
    refresh_s: float = 15.0
    lock_key: int = DEFAULT_LOCK_KEY
    # "auto": compete for leadership; "follower": never hold agent connections (web-only
    # processes, and tests that install their own hub).
    role: str = "auto"
    # Where agents may publish ports besides their node's host (settings.hub_publish_networks).
    publish_networks: tuple[Any, ...] = ()

    @property
    def channel(self) -> str:
        """The NOTIFY channel followers send requests on (one per lock key)."""
        return f"shoal_hub_{self.lock_key:x}"


def backoff_delay(failures: int, config: HubConfig, rng: random.Random | None = None) -> float:
    """Seconds before attempt number `failures + 1`: doubling from the initial delay, capped,
    with jitter in [50 %, 100 %] so a thousand nodes dropped together do not retry in step."""
    exponent = min(max(failures - 1, 0), 30)
    ceiling = min(config.backoff_max_s, config.backoff_initial_s * 2**exponent)
    return ceiling * (rng or random).uniform(0.5, 1.0)


def config_from(settings: Any, environ: dict[str, str] | None = None) -> HubConfig:
    """HubConfig from the settings object (fields `hub_*` when present) and SHOAL_HUB_ROLE."""
    environ = dict(os.environ) if environ is None else environ
    values: dict[str, Any] = {}
    for name in ("heartbeat_timeout_s", "backoff_max_s", "request_timeout_s"):
        value = getattr(settings, f"hub_{name}", None)
        if value is not None:
            values[name] = float(value)
    role = environ.get("SHOAL_HUB_ROLE") or getattr(settings, "hub_role", None) or DEFAULT_ROLE
    if role not in ("auto", "follower"):
        raise ValueError(f"SHOAL_HUB_ROLE must be 'auto' or 'follower', not {role!r}")
    networks = parse_networks(str(getattr(settings, "hub_publish_networks", "") or ""))
    return HubConfig(role=role, publish_networks=networks, **values)
