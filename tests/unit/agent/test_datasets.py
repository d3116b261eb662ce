"""The node's dataset cache: chunks appended in order, the file verified by its sha256 when the
last lands and kept once; a wrong offset or a wrong hash is refused and leaves nothing."""

import hashlib
from pathlib import Path

from agent.datasets import DatasetCache
from agent.protocol import DatasetHave, DatasetPut, ErrorReply

BODY = b"PGDMP" + bytes(range(256)) * 40


def put(sha: str, offset: int = 0, data: bytes = b"", size: int = len(BODY)) -> DatasetPut:
    return DatasetPut(id=1, sha256=sha, size_bytes=size, offset=offset, data=data)


async def test_chunks_make_one_verified_file_and_a_second_offer_sends_nothing(tmp_path: Path):
    cache, sha = DatasetCache(tmp_path), hashlib.sha256(BODY).hexdigest()
    first = await cache.put(put(sha))
    assert isinstance(first, DatasetHave) and (first.have_bytes, first.complete) == (0, False)
    middle = await cache.put(put(sha, 0, BODY[:5000]))
    assert isinstance(middle, DatasetHave) and (middle.have_bytes, middle.complete) == (5000, False)
    # A second transfer of the same file that is behind is told where the file is.
    behind = await cache.put(put(sha, 0, BODY[:10]))
    assert isinstance(behind, DatasetHave) and (behind.have_bytes, behind.complete) == (5000, False)
    last = await cache.put(put(sha, 5000, BODY[5000:]))
    assert isinstance(last, DatasetHave) and last.complete
    assert cache.path(sha) is not None and cache.path(sha).read_bytes() == BODY
    again = await cache.put(put(sha))
    assert isinstance(again, DatasetHave) and again.complete


async def test_a_file_with_another_hash_is_dropped(tmp_path: Path):
    cache, sha = DatasetCache(tmp_path), "0" * 64
    refused = await cache.put(put(sha, 0, BODY))
    assert isinstance(refused, ErrorReply) and "not " + sha in refused.message
    assert cache.path(sha) is None
    assert list((tmp_path / "datasets").iterdir()) == []
    bad = await cache.put(put("../../etc/passwd"))
    assert isinstance(bad, ErrorReply) and bad.code == "invalid"


async def test_a_disk_too_small_is_refused_before_any_chunk_with_both_figures(tmp_path: Path):
    cache = DatasetCache(tmp_path)
    huge = put("1" * 64, size=1 << 60)  # more than any disk here
    refused = await cache.put(huge)
    assert isinstance(refused, ErrorReply) and "not enough disk on the node" in refused.message
    assert "MB are free" in refused.message
    assert list((tmp_path / "datasets").glob("*.part")) == []
