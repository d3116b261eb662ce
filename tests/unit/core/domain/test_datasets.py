"""A dataset's format is told from its first bytes; anything that is not a dump is refused
saying what it looks like."""

import pytest

from core.domain.datasets import CUSTOM, PLAIN, dataset_name, dump_format
from core.errors import InvalidInput


def test_custom_and_plain_dumps_are_told_apart() -> None:
    assert dump_format(b"PGDMP\x01\x0f\x00\x04\x08\x01\x01") == CUSTOM
    assert (
        dump_format(b"--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n") == PLAIN
    )
    assert dump_format(b"\n  CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n") == PLAIN


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "HTML"),
        (b"  <html><head></head></html>", "HTML"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 10, "neither"),
        (b"hello world, no SQL here\n", "does not start like SQL"),
        (b"x" * 257 + b"ustar\x0000", "tar archive"),
    ],
)
def test_what_is_not_a_dump_is_refused_saying_what_it_is(head: bytes, words: str) -> None:
    with pytest.raises(InvalidInput, match=words) as caught:
        dump_format(head)
    assert caught.value.field == "file"


def test_a_character_cut_at_the_end_of_the_sniffed_bytes_is_forgiven() -> None:
    assert dump_format("-- seed é".encode()[:-1]) == PLAIN


def test_names() -> None:
    assert dataset_name(" shop-seed.v2 ") == "shop-seed.v2"
    for bad in ("", "Shop", "-x", "a b", "x" * 64, "../etc"):
        with pytest.raises(InvalidInput):
            dataset_name(bad)
