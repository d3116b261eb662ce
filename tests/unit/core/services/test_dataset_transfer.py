"""A dataset's way to a node (core.services.dataset_nodes against the agent's real cache, the
hub faked): sent in chunks once; a second transfer sends nothing; two transfers of the same
file at once both finish with one verified copy; a damaged control-plane copy is refused."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from agent import protocol as p
from agent.datasets import DatasetCache
from core.services import dataset_nodes

BODY = bytes(range(256)) * (3 * p.DATASET_CHUNK_BYTES // 256 + 17)  # a bit over 3 chunks


class FakeHub:
    """`ask` as the leader would answer it: the node's cache handles the request."""

    def __init__(self, cache: DatasetCache) -> None:
        self.cache, self.chunks = cache, 0

    async def ask(self, node_id: int, request: p.DatasetPut) -> p.DatasetHave:
        self.chunks += bool(request.data)
        await asyncio.sleep(0)  # let another transfer in between, as the network would
        answer = await self.cache.put(request)
        assert isinstance(answer, p.DatasetHave), answer
        return answer


def stored(tmp_path: Path) -> tuple[Path, p.DatasetRef]:
    sha = hashlib.sha256(BODY).hexdigest()
    cp = tmp_path / "cp"
    (cp / "datasets").mkdir(parents=True)
    (cp / "datasets" / sha).write_bytes(BODY)
    ref = p.DatasetRef(name="shop", version=1, sha256=sha, size_bytes=len(BODY), format="custom")
    return cp, ref


async def test_sent_once_in_chunks_then_nothing(tmp_path: Path):
    cp, ref = stored(tmp_path)
    hub = FakeHub(DatasetCache(tmp_path / "node"))
    assert await dataset_nodes.send_to_node(hub, 1, ref, cp) == len(BODY)
    assert hub.chunks == 4
    assert (tmp_path / "node" / "datasets" / ref.sha256).read_bytes() == BODY
    assert await dataset_nodes.send_to_node(hub, 1, ref, cp) == 0
    assert hub.chunks == 4


async def test_two_transfers_at_once_make_one_verified_copy(tmp_path: Path):
    cp, ref = stored(tmp_path)
    hub = FakeHub(DatasetCache(tmp_path / "node"))
    await asyncio.gather(*(dataset_nodes.send_to_node(hub, 1, ref, cp) for _ in range(2)))
    assert (tmp_path / "node" / "datasets" / ref.sha256).read_bytes() == BODY
    assert not list((tmp_path / "node" / "datasets").glob("*.part"))


async def test_a_damaged_copy_on_the_control_plane_is_not_sent(tmp_path: Path):
    cp, ref = stored(tmp_path)
    (cp / "datasets" / ref.sha256).write_bytes(BODY[:-1] + b"x")
    hub = FakeHub(DatasetCache(tmp_path / "node"))
    with pytest.raises(dataset_nodes.DatasetRefused, match="missing or damaged"):
        await dataset_nodes.send_to_node(hub, 1, ref, cp)
    assert hub.chunks == 0
