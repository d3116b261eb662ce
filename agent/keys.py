"""The node token's key (sha256 of the token): which one is valid, and rotation.

Only keys are stored, never tokens. `auth.json` in the data dir (owner-only) holds the current
key and the keys rotated away. At start, an AGENT_TOKEN equal to a rotated-away token keeps the
stored key (the agent keeps working after a rotation); any other AGENT_TOKEN wins (an admin
handed out a new one). Kept apart from the state database so a corrupt state file never loses it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

FILE = "auth.json"
MAX_REMEMBERED = 20


class NoToken(Exception):
    pass


class TokenKeys:
    def __init__(self, path: Path, current: str, rotated_away: list[str]) -> None:
        self.path = path
        self.current = current
        self.rotated_away = rotated_away

    @property
    def key(self) -> bytes:
        return bytes.fromhex(self.current)

    @classmethod
    def load(cls, data_dir: Path, token: str | None) -> TokenKeys:
        path = data_dir / FILE
        stored = _read(path)
        current, rotated_away = stored.get("key", ""), list(stored.get("rotated_away", []))
        env_key = hashlib.sha256(token.encode()).hexdigest() if token else ""
        if env_key and env_key not in rotated_away and env_key != current:
            current, rotated_away = env_key, []
        if not current:
            raise NoToken("no node token: set AGENT_TOKEN or --token-file")
        keys = cls(path, current, rotated_away)
        keys.save()
        return keys

    def rotate(self, new_key_hex: str) -> None:
        new_key = new_key_hex.strip().lower()
        if len(new_key) != 64 or any(c not in "0123456789abcdef" for c in new_key):
            raise ValueError("new_key must be 64 hex characters (sha256 of the new token)")
        if not hmac.compare_digest(new_key, self.current):
            self.rotated_away = [self.current, *self.rotated_away][:MAX_REMEMBERED]
            self.current = new_key
        self.save()

    def save(self) -> None:
        body = json.dumps({"key": self.current, "rotated_away": self.rotated_away}).encode()
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
