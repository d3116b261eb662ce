"""Datasets kept on this node (protocol.datasets, docs/data.md): `<data dir>/datasets/<sha256>`.

The control plane sends a file in chunks, in order; they are appended to `<sha256>.part`, and
when the last lands the whole file is hashed and renamed to its sha256, or dropped when the
hash differs. A file is kept once whatever the number of deployments that seed from it.
Blocking file work runs in a thread, so the agent's loop keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import msgspec

from agent.plugins import PluginFailed
from agent.protocol.datasets import DatasetHave, DatasetPut
from agent.protocol.messages import ErrorReply
from agent.protocol.spec import PluginNode

log = logging.getLogger(__name__)
HEX = frozenset("0123456789abcdef")
MOUNT = "/shoal/dataset"  # where a plugin finds its dataset's file (read-only)


def dataset_for(
    data_dir: Path, node: PluginNode, host_data_dir: Path | None = None
) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """A seeding step's `data` ({"dataset": …}) and its read-only mount; (None, None) for a
    step without a dataset. PluginFailed when this node does not hold the file (the control
    plane sends it before the deployment; a sync after an outage does not)."""
    ref = node.config.dataset
    if ref is None:
        return None, None
    found = DatasetCache(data_dir).path(ref.sha256)
    if found is None:
        raise PluginFailed(
            f"dataset {ref.name} v{ref.version} ({ref.sha256}) is not on this node: "
            "redeploy so that the control plane sends it"
        )
    described = {**msgspec.structs.asdict(ref), "path": MOUNT}
    source = (host_data_dir or data_dir) / found.relative_to(data_dir)  # as dockerd sees it
    return {"dataset": described}, {MOUNT: str(source)}


class DatasetCache:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "datasets"
        # Two deployments' transfers of one file may meet: one chunk at a time, and a chunk at
        # an offset already passed is answered with where the file is, so both carry on there.
        self._lock = threading.Lock()

    def path(self, sha256: str) -> Path | None:
        """The verified file, or None when this node does not hold it."""
        if len(sha256) != 64 or not set(sha256) <= HEX:
            return None
        found = self.folder / sha256
        return found if found.is_file() else None

    async def put(self, request: DatasetPut) -> DatasetHave | ErrorReply:
        return await asyncio.to_thread(self._locked_put, request)

    def _locked_put(self, request: DatasetPut) -> DatasetHave | ErrorReply:
        with self._lock:
            return self._put(request)

    def _put(self, request: DatasetPut) -> DatasetHave | ErrorReply:
        sha = request.sha256
        if len(sha) != 64 or not set(sha) <= HEX or request.size_bytes < 0:
            return ErrorReply(id=request.id, code="invalid", message=f"not a sha256: {sha!r}")
        if self.path(sha) is not None:
            return DatasetHave(
                id=request.id, sha256=sha, have_bytes=request.size_bytes, complete=True
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        part = self.folder / f"{sha}.part"
        have = part.stat().st_size if part.exists() else 0
        if not request.data and have < request.size_bytes:  # the question before the chunks
            free = shutil.disk_usage(self.folder).free
            if free < request.size_bytes - have:
                return ErrorReply(
                    id=request.id,
                    code="invalid",
                    message=f"not enough disk on the node for the dataset: it needs "
                    f"{(request.size_bytes - have) / 1e6:.1f} MB, {free / 1e6:.1f} MB are free",
                )
        if request.data and request.offset != have:  # another transfer got there first
            return DatasetHave(id=request.id, sha256=sha, have_bytes=have, complete=False)
        if request.data:
            if have + len(request.data) > request.size_bytes:
                part.unlink(missing_ok=True)
                return ErrorReply(
                    id=request.id,
                    code="invalid",
                    message=f"more than the {request.size_bytes} bytes announced: dropped",
                )
            with part.open("ab") as out:
                out.write(request.data)
            have += len(request.data)
        if have < request.size_bytes:
            return DatasetHave(id=request.id, sha256=sha, have_bytes=have, complete=False)
        part.touch()  # a zero-byte dataset has had no chunk to create it
        found = _sha256(part)
        if found != sha:
            part.unlink(missing_ok=True)
            log.warning("dataset %s arrived with sha256 %s: dropped", sha, found)
            return ErrorReply(
                id=request.id, code="invalid", message=f"the file's sha256 is {found}, not {sha}"
            )
        os.replace(part, self.folder / sha)
        log.info("dataset %s stored (%d bytes)", sha, have)
        return DatasetHave(id=request.id, sha256=sha, have_bytes=have, complete=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()
