"""What travels between control-plane processes over PostgreSQL NOTIFY (see core.hub.forward):
sealed, fresh, never accepted twice, and cut into chunks below PostgreSQL's 8,000-byte limit.

Anyone who can run SQL on the database can NOTIFY the hub's channel, and NOTIFY payloads may
reach the database's disk, so every message is sealed with the master key (AES-GCM, which
also authenticates it) inside an envelope with the time it was sent and a random nonce. The
receiver drops a message that is not sealed (when it has a key), older than MAX_AGE_S or from
the future by as much (clock skew between processes is allowed up to that), or whose nonce it
already took: a captured deploy request cannot be played again.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import msgspec

from core import crypto, runtime

CHUNK = 7000
CONTEXT = "hub.forward"
MAX_PARTIAL = 1000
MAX_AGE_S = 60.0


class Refused(Exception):
    """A message that must not be acted on: unsealed, stale or replayed."""


class ReplayGuard:
    """The nonces taken within the last MAX_AGE_S (older ones are refused by age anyway)."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    def take(self, nonce: str, now: float) -> None:
        if nonce in self.seen:
            raise Refused("replayed")
        if len(self.seen) > 10_000:
            self.seen = {n: t for n, t in self.seen.items() if t > now - 2 * MAX_AGE_S}
        self.seen[nonce] = now


def seal(message: dict[str, Any]) -> str:
    envelope = {"at": time.time(), "n": secrets.token_hex(12), "m": message}
    text = msgspec.json.encode(envelope).decode()
    try:
        return "e" + runtime.box().encrypt(text, CONTEXT)
    except crypto.KeyConfigError:  # no master key in this process (some tests): plain
        return "p" + text


def unseal(sealed: str, guard: ReplayGuard | None = None) -> dict[str, Any]:
    """The message inside, or Refused. Plain text is taken only by a process with no key."""
    if sealed[:1] == "e":
        text = runtime.box().decrypt(sealed[1:], CONTEXT)
    elif sealed[:1] == "p" and not _has_key():
        text = sealed[1:]
    else:
        raise Refused("not sealed with the master key")
    envelope = json.loads(text)
    now = time.time()
    if abs(now - float(envelope["at"])) > MAX_AGE_S:
        raise Refused("stale")
    if guard is not None:
        guard.take(str(envelope["n"]), now)
    return envelope["m"]


def _has_key() -> bool:
    try:
        runtime.box()
    except crypto.KeyConfigError:
        return False
    return True


def chunks(message_id: str, sealed: str) -> list[str]:
    parts = [sealed[i : i + CHUNK] for i in range(0, len(sealed), CHUNK)] or [""]
    return [f"{message_id}|{i}|{len(parts)}|{part}" for i, part in enumerate(parts)]


class Reassembler:
    def __init__(self) -> None:
        self.partial: dict[str, dict[int, str]] = {}

    def add(self, payload: str) -> str | None:
        """The whole sealed message once its last chunk arrived, else None."""
        message_id, index, count, part = payload.split("|", 3)
        if count == "1":
            return part
        parts = self.partial.setdefault(message_id, {})
        parts[int(index)] = part
        if len(parts) < int(count):
            if len(self.partial) > MAX_PARTIAL:  # chunks of a message that never completed
                self.partial.pop(next(iter(self.partial)))
            return None
        del self.partial[message_id]
        return "".join(parts[i] for i in range(int(count)))
