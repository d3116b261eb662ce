"""The secret box: AES-256-GCM under the master key, with the key id stored beside each value.

A stored value reads `v1:<key id>:<nonce>:<ciphertext+tag>` (base64url, no padding). The key
id is derived from the key itself, so a value always names the key that can open it and a
database dump alone reveals nothing. Each value is bound to a `context` (associated data such
as "registry.password:3") so a ciphertext copied onto another row or column fails to open.

A process's box is on its runtime (core/runtime.py `box()`): the primary key encrypts, every
configured key may decrypt, which is what lets `shoal rotate-key` move values from old keys to
a new one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import ShoalError

log = logging.getLogger(__name__)

FORMAT = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_FILE = "secret.key"


class KeyConfigError(ShoalError):
    """The master key is missing or malformed: the control plane must not start."""


class DecryptionError(ShoalError):
    """A stored value cannot be opened: tampered, truncated, or under an unknown key."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(key: bytes) -> str:
    """A short public name for a key (a hash prefix: it reveals nothing about the key)."""
    return hashlib.sha256(b"shoal-key-id:" + key).hexdigest()[:12]


def generate_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


def key_from_settings(secret_key: str, source: str = "SHOAL_SECRET_KEY") -> bytes:
    """Parse the configured master key (32 bytes, base64) or refuse with what to do instead."""
    text = secret_key.strip()
    if not text:
        raise KeyConfigError(
            f"No master key: set {source} to 32 random bytes in base64 "
            '(python -c "import secrets,base64;print(base64.b64encode(secrets.token_bytes(32))'
            '.decode())"), or use `shoal up`, which generates one in its data dir.'
        )
    try:
        standard = text.replace("-", "+").replace("_", "/")
        key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyConfigError(f"{source} is not valid base64.") from exc
    if len(key) != KEY_BYTES:
        raise KeyConfigError(
            f"{source} must decode to {KEY_BYTES} bytes (AES-256); it decodes to {len(key)}."
        )
    return key


class LoadedKey:
    def __init__(self, key: bytes, path: Path, created: bool) -> None:
        self.key, self.path, self.created = key, path, created

    @property
    def message(self) -> str:
        verb = "Generated a new" if self.created else "Using the"
        return (
            f"{verb} master key in {self.path} (key id {key_id(self.key)}). Back it up: "
            "without it, stored secrets and registry passwords cannot be read."
        )


def load_or_create_key(data_dir: str | Path) -> LoadedKey:
    """For `shoal up`: read data_dir/secret.key, or create it (mode 0600) on first start."""
    path = Path(data_dir).expanduser().resolve() / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    created = False
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(encode_key(generate_key()) + "\n")
        created = True
    key = key_from_settings(path.read_text(), source=str(path))
    loaded = LoadedKey(key, path, created)
    if created:
        log.warning("%s", loaded.message)
    return loaded


class SecretBox:
    """Encrypt under `primary`; decrypt under `primary` or any of `older` keys."""

    def __init__(self, primary: bytes, older: Iterable[bytes] = ()) -> None:
        self.primary_id = key_id(primary)
        self._keys = {key_id(key): AESGCM(key) for key in [*older, primary]}

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._keys[self.primary_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{FORMAT}:{self.primary_id}:{_b64encode(nonce)}:{_b64encode(sealed)}"

    def decrypt(self, stored: str, context: str) -> str:
        parts = stored.split(":")
        if len(parts) != 4 or parts[0] != FORMAT:
            raise DecryptionError(f"Stored value for {context} is not in the {FORMAT} format.")
        _, kid, nonce_text, sealed_text = parts
        aead = self._keys.get(kid)
        if aead is None:
            raise DecryptionError(
                f"Stored value for {context} was encrypted under key id {kid}, which is not "
                "configured (was the master key changed without `shoal rotate-key`?)."
            )
        try:
            plaintext = aead.decrypt(
                _b64decode(nonce_text), _b64decode(sealed_text), context.encode()
            )
            return plaintext.decode()
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise DecryptionError(
                f"Stored value for {context} failed its integrity check (tampered or corrupt)."
            ) from exc

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{FORMAT}:{self.primary_id}:")


def registry_password_context(registry_id: int) -> str:
    return f"registry.password:{registry_id}"


def secret_context(project_id: int, name: str) -> str:
    return f"project.secret:{project_id}:{name}"


def node_token_context(node_id: int) -> str:
    return f"node.token:{node_id}"


def step_outputs_context(run_id: int, node_id: str) -> str:
    return f"pipeline_step.outputs:{run_id}:{node_id}"


def oidc_client_secret_context(provider_id: int) -> str:
    return f"oidc.client_secret:{provider_id}"
