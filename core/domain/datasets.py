"""What makes a file a dataset (docs/data.md): a PostgreSQL dump in pg_dump's custom format or
as plain SQL. Told apart from its first bytes, so a URL that answers a login page or an error
document is refused before anything is kept."""

from __future__ import annotations

import re

from core.errors import InvalidInput

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
CUSTOM = "custom"
PLAIN = "plain"
FORMATS = (CUSTOM, PLAIN)
SNIFF_BYTES = 64 * 1024  # what is read of a file's start to tell its format
# Lines a plain dump is made of: pg_dump's header, or the statements a hand-made dump starts with.
_SQL_LINE = re.compile(
    r"^\s*(--|/\*|SET\b|SELECT\b|CREATE\b|INSERT\b|COPY\b|BEGIN\b|ALTER\b|DROP\b|\\)",
    re.IGNORECASE,
)


def dataset_name(value: str, field: str = "name") -> str:
    value = value.strip()
    if not NAME.fullmatch(value):
        raise InvalidInput(
            "Use 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
            field,
        )
    return value


def dump_format(head: bytes) -> str:
    """`custom` or `plain` from a file's first bytes; InvalidInput saying what it looks like
    instead (HTML, another archive, binary, empty)."""
    if head.startswith(b"PGDMP"):
        return CUSTOM
    if not head.strip():
        raise InvalidInput("The file is empty, not a PostgreSQL dump.", "file")
    start = head.lstrip()[:200].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        raise InvalidInput(
            "This is an HTML or XML page, not a PostgreSQL dump (a login or error page?).", "file"
        )
    if head[257:262] == b"ustar":
        raise InvalidInput(
            "This is a tar archive: upload a dump made with pg_dump -Fc (custom) or -Fp (plain).",
            "file",
        )
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # only a character cut at the end is forgiven
            raise InvalidInput(
                "This is neither a pg_dump custom-format file nor SQL text.", "file"
            ) from None
        text = head[: exc.start].decode("utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and _SQL_LINE.match(lines[0]):
        return PLAIN
    raise InvalidInput("This text does not start like SQL, so it is not a PostgreSQL dump.", "file")
