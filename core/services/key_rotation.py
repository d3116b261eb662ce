"""`shoal rotate-key`: re-encrypt every stored secret under a new master key, all or nothing.

Values are opened with the new key or any old one (so a rerun after a partial operator
mistake is harmless) and sealed under the new key inside one transaction: a single value that
cannot be opened aborts the whole rotation, naming the row, and nothing changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from piccolo.columns import Column
from piccolo.table import Table

from core import crypto, runtime
from core.domain import previews
from core.tables import Node, OidcProvider, PipelineStep, PreviewRule, Registry, Secret

# (label, table, ciphertext column, context of a row): every encrypted column in the schema.
ENCRYPTED_COLUMNS: list[tuple[str, type[Table], Column, Callable[[dict], str]]] = [
    (
        "registries",
        Registry,
        Registry.password_ciphertext,
        lambda row: crypto.registry_password_context(row["id"]),
    ),
    (
        "secrets",
        Secret,
        Secret.ciphertext,
        lambda row: crypto.secret_context(row["project"], row["name"]),
    ),
    (
        "nodes",
        Node,
        Node.token_secret_ciphertext,
        lambda row: crypto.node_token_context(row["id"]),
    ),
    (
        "step outputs",
        PipelineStep,
        PipelineStep.sealed_outputs,
        lambda row: crypto.step_outputs_context(row["run"], row["node_id"]),
    ),
    (
        "sign-in providers",
        OidcProvider,
        OidcProvider.client_secret_ciphertext,
        lambda row: crypto.oidc_client_secret_context(row["id"]),
    ),
    (
        "preview webhook secrets",
        PreviewRule,
        PreviewRule.webhook_secret_ciphertext,
        lambda row: previews.webhook_secret_context(row["id"]),
    ),
    (
        "preview forge tokens",
        PreviewRule,
        PreviewRule.api_token_ciphertext,
        lambda row: previews.api_token_context(row["id"]),
    ),
]


async def rotate_all(old_keys: Iterable[bytes], new_key: bytes) -> dict[str, int]:
    """Re-seal everything under `new_key`; returns how many values each table had rotated.

    Afterwards the runtime's box encrypts under `new_key` (old keys still decrypt)."""
    old_keys = list(old_keys)
    rotating = crypto.SecretBox(new_key, old_keys)
    counts: dict[str, int] = {}
    async with Registry._meta.db.transaction():
        for label, table, column, context_of in ENCRYPTED_COLUMNS:
            name = column._meta.name
            rows = await table.select().where(column != "").run()
            counts[label] = 0
            for row in rows:
                if rotating.is_current(row[name]):
                    continue
                try:
                    plaintext = rotating.decrypt(row[name], context_of(row))
                except crypto.DecryptionError as exc:
                    raise crypto.DecryptionError(
                        f"Rotation aborted, nothing changed: {label} row {row['id']}: {exc.detail}"
                    ) from exc
                sealed = rotating.encrypt(plaintext, context_of(row))
                await table.update({column: sealed}).where(table.id == row["id"]).run()
                counts[label] += 1
    found = runtime.current()
    if found is not None:  # this process's runtime (the CLI's, a test's) seals under it now
        found.box = rotating
    return counts


def replace_key_file(data_dir: str | Path, new_key: bytes) -> Path:
    """Write data_dir/secret.key (0600, atomically), keeping the old file as secret.key.<id>."""
    path = Path(data_dir).expanduser().resolve() / crypto.KEY_FILE
    temporary = path.with_name(f".{crypto.KEY_FILE}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(crypto.encode_key(new_key) + "\n")
    if path.exists():
        old = crypto.key_from_settings(path.read_text(), source=str(path))
        backup = path.with_name(f"{crypto.KEY_FILE}.{crypto.key_id(old)}")
        backup.unlink(missing_ok=True)
        os.link(path, backup)
    temporary.replace(path)
    return path
