"""Image tags: the admin's glob pattern (checked, then matched) and the order users see them in.

Patterns use shell-glob syntax over the characters a tag may hold ([A-Za-z0-9_.-]):
`*` any run, `?` one character, `[abc]` / `[a-z]` / `[!abc]` one character of a set.
Order: highest version first (`v1.10.0` above `v1.9.2`, a release above its `-rc`), then the
other tags highest first in natural order (`build-100` above `build-99`).
"""

from __future__ import annotations

import re

from core.errors import InvalidInput

TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
TAG_CHARS = re.compile(r"[A-Za-z0-9_.-]")
MAX_PATTERN = 128
VERSION = re.compile(r"^[vV]?(\d+(?:\.\d+)*)(?:-(.+))?$")
RUNS = re.compile(r"(\d+)")


def check_tag(tag: str, field: str = "tag") -> str:
    tag = tag.strip()
    if not TAG.fullmatch(tag):
        hint = " ('/' is not allowed in a tag; use '-')" if "/" in tag else ""
        raise InvalidInput(
            f"A tag is 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'{hint}.",
            field,
        )
    return tag


def compile_pattern(pattern: str, field: str = "tag_pattern") -> re.Pattern[str]:
    """Translate a glob into a regex, refusing what could never match a tag."""
    pattern = pattern.strip()
    if not pattern:
        raise InvalidInput("Enter a pattern such as v*, 1.2.* or features-*.", field)
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"A pattern is at most {MAX_PATTERN} characters.", field)
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[A-Za-z0-9_.-]*")
        elif ch == "?":
            out.append("[A-Za-z0-9_.-]")
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "^") else i + 1)
            body = pattern[i + 1 : end] if end != -1 else ""
            if end == -1 or body in ("", "!", "^"):
                raise InvalidInput(f"Unclosed or empty '[' at position {i + 1}.", field)
            negate = body[0] in "!^"
            members = body[1:] if negate else body
            if not all(TAG_CHARS.fullmatch(c) for c in members):
                raise InvalidInput(f"'[{body}]' holds characters no tag can contain.", field)
            try:
                re.compile(f"[{members}]")
            except re.error as exc:
                raise InvalidInput(f"'[{body}]' is not a valid set ({exc.msg}).", field) from exc
            out.append(f"[{'^' if negate else ''}{members}]")
            i = end
        elif ch == "]":
            raise InvalidInput(f"Unmatched ']' at position {i + 1}.", field)
        elif TAG_CHARS.fullmatch(ch):
            out.append(re.escape(ch))
        else:
            hint = " (use '-' instead of '/')" if ch == "/" else ""
            raise InvalidInput(f"'{ch}' cannot appear in a tag{hint}.", field)
        i += 1
    return re.compile("".join(out))


def filter_tags(tags: list[str], pattern: str) -> list[str]:
    """Tags matching `pattern`, highest first."""
    compiled = compile_pattern(pattern)
    return sort_tags([tag for tag in tags if compiled.fullmatch(tag)])


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    return tuple(
        (1, int(part), "") if part.isdigit() else (0, 0, part.lower())
        for part in RUNS.split(text)
        if part
    )


def _order_key(tag: str) -> tuple:
    match = VERSION.fullmatch(tag)
    if match:
        release = tuple(int(n) for n in match.group(1).split("."))
        prerelease = match.group(2)
        # A release sorts above its own pre-releases; among those, natural order.
        return (1, release, prerelease is None, _natural(prerelease or ""), tag)
    return (0, (), False, _natural(tag), tag)


def sort_tags(tags: list[str]) -> list[str]:
    """Highest version first, then the other tags highest first in natural order."""
    return sorted(set(tags), key=_order_key, reverse=True)
