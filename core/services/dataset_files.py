"""Dataset files on the control plane's disk (docs/data.md): `<data dir>/datasets/<sha256>`.

A file arrives as a stream (an upload's body or a URL's answer), is written to a part file
while its sha256 and size are counted, refused when it passes the size limit, is not a dump
(core.domain.datasets) or does not match the hash the caller expected, and only then renamed
to its hash: a refused file leaves nothing behind, and a dump uploaded twice is kept once."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.domain.datasets import SNIFF_BYTES, dump_format
from core.errors import InvalidInput, Unavailable

FETCH_TIMEOUT_S = 30.0  # per read, connect included: a URL that stops answering is given up
HEX = set("0123456789abcdef")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size_bytes: int
    format: str


def folder(data_path: Path) -> Path:
    return data_path / "datasets"


def path_of(data_path: Path, sha256: str) -> Path:
    if len(sha256) != 64 or not set(sha256) <= HEX:
        raise InvalidInput("A dataset hash is 64 lowercase hex digits.", "sha256")
    return folder(data_path) / sha256


async def receive(
    chunks: AsyncIterable[bytes], data_path: Path, limit_bytes: int, expected_sha256: str = ""
) -> StoredFile:
    """Write `chunks` under their hash; InvalidInput (field `file`) when refused, Unavailable
    when the control plane's disk cannot take it (full, not writable)."""
    expected = expected_sha256.strip().lower()
    if expected:
        path_of(data_path, expected)  # a malformed hash is refused before the upload is read
    try:
        return await _receive(chunks, data_path, limit_bytes, expected)
    except OSError as exc:
        raise Unavailable(
            f"The control plane could not store the file ({exc.strerror or exc}); nothing was kept."
        ) from None


async def _receive(
    chunks: AsyncIterable[bytes], data_path: Path, limit_bytes: int, expected: str
) -> StoredFile:
    incoming = folder(data_path) / "incoming"
    await asyncio.to_thread(incoming.mkdir, parents=True, exist_ok=True)
    part = incoming / f"{secrets.token_hex(8)}.part"
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with part.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit_bytes:
                    raise InvalidInput(
                        f"The file is larger than the {limit_bytes / 1e6:.0f} MB datasets may "
                        "have (setting dataset_max_mb).",
                        "file",
                    )
                digest.update(chunk)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                await asyncio.to_thread(out.write, chunk)
        found = StoredFile(digest.hexdigest(), size, dump_format(head))
        if expected and found.sha256 != expected:
            raise InvalidInput(
                f"The file's sha256 is {found.sha256}, not the {expected} expected.", "sha256"
            )
        await asyncio.to_thread(os.replace, part, path_of(data_path, found.sha256))
        return found
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()


async def fetch(
    url: str, data_path: Path, limit_bytes: int, expected_sha256: str = ""
) -> StoredFile:
    """Download `url` as `receive` stores an upload; unreachable, an error status or a page
    that is not a dump → InvalidInput (field `url`) naming what happened."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("Give an http:// or https:// URL.", "url")
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=True) as client:
            async with client.stream("GET", url) as answer:
                if answer.status_code != 200:
                    raise InvalidInput(f"{url} answered HTTP {answer.status_code}.", "url")
                return await receive(
                    answer.aiter_bytes(1024 * 1024), data_path, limit_bytes, expected_sha256
                )
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise InvalidInput(f"Could not fetch {url}: {reason}", "url") from None
    except InvalidInput as exc:
        if exc.field == "file":
            exc.field = "url"
            exc.detail = f"{url}: {exc.detail}"
            exc.args = (exc.detail,)
        raise


async def remove(data_path: Path, sha256: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        await asyncio.to_thread(path_of(data_path, sha256).unlink)


def verified(data_path: Path, sha256: str) -> bool:
    """Whether the stored file still has its hash (checked before it is sent to a node)."""
    digest = hashlib.sha256()
    try:
        with path_of(data_path, sha256).open("rb") as source:
            while block := source.read(1024 * 1024):
                digest.update(block)
    except FileNotFoundError:
        return False
    return digest.hexdigest() == sha256
