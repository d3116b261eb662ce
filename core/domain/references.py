"""`${{ … }}` references in pipeline node config, parsed at save time.

    ${{ secrets.NAME }}                 a project secret
    ${{ nodes.<id>.outputs.<key> }}     an output of a node that runs before this one
    ${{ deployment.name }}              also deployment.id and deployment.environment
    ${{ urls.<service node id> }}       the public URL of a service of the same deployment

The agent resolves them (agent/references.py) with the same grammar; here we only find them
so a save can refuse what would fail at run time. Every `${{` must open a well-formed
reference: a typo such as `${{ secret.X }}` or a missing `}}` is an error, never literal text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Literal

import msgspec

OPEN, CLOSE = "${{", "}}"
DEPLOYMENT_FIELDS = ("name", "id", "environment")
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
NODE_ID = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
FORMS = {
    "secrets": re.compile(rf"secrets\.({IDENT})"),
    "nodes": re.compile(rf"nodes\.({NODE_ID})\.outputs\.([A-Za-z0-9_][A-Za-z0-9_.-]*)"),
    "deployment": re.compile(r"deployment\.([a-z_]+)"),
    "urls": re.compile(rf"urls\.({NODE_ID})"),
}
HINT = (
    "use ${{ secrets.NAME }}, ${{ nodes.<id>.outputs.<key> }}, "
    "${{ deployment.name }} or ${{ urls.<service node id> }}"
)

Kind = Literal["secrets", "nodes", "deployment", "urls"]


class Reference(msgspec.Struct, frozen=True):
    """`name` is the secret, node id or deployment field; `key` the output key (nodes only)."""

    kind: Kind
    name: str
    key: str = ""
    text: str = ""

    def __str__(self) -> str:
        return self.text or f"${{{{ {self.kind}.{self.name} }}}}"


class MalformedReference(ValueError):
    pass


def parse_one(inner: str) -> Reference:
    """The reference inside `${{ … }}` (without the braces)."""
    body = inner.strip()
    text = f"${{{{ {body} }}}}"
    head = body.split(".", 1)[0]
    form = FORMS.get(head)
    found = form.fullmatch(body) if form else None
    if found is None:
        raise MalformedReference(f"'{text}' is not a reference Shoal knows: {HINT}.")
    if head == "deployment" and found.group(1) not in DEPLOYMENT_FIELDS:
        raise MalformedReference(
            f"'{text}': a deployment has {', '.join(DEPLOYMENT_FIELDS)}, not '{found.group(1)}'."
        )
    key = found.group(2) if head == "nodes" else ""
    return Reference(kind=head, name=found.group(1), key=key, text=text)  # type: ignore[arg-type]


def parse_text(text: str) -> list[Reference]:
    """Every reference in `text`, in order; MalformedReference for the first bad one."""
    found: list[Reference] = []
    start = 0
    while (opened := text.find(OPEN, start)) != -1:
        closed = text.find(CLOSE, opened + len(OPEN))
        if closed == -1:
            raise MalformedReference(f"'{text[opened : opened + 40]}' has no closing '}}}}'.")
        inner = text[opened + len(OPEN) : closed]
        if OPEN in inner:
            raise MalformedReference(f"'{text[opened : closed + 2]}' has no closing '}}}}'.")
        found.append(parse_one(inner))
        start = closed + len(CLOSE)
    return found


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) for every string inside nested dicts/lists; keys are paths like env.DB_URL."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{index}]")


def scan(value: Any) -> tuple[list[tuple[str, Reference]], list[tuple[str, str]]]:
    """(references with where they were found, problems with where) for a whole config value."""
    references: list[tuple[str, Reference]] = []
    problems: list[tuple[str, str]] = []
    for path, text in walk_strings(value):
        try:
            references.extend((path, ref) for ref in parse_text(text))
        except MalformedReference as exc:
            problems.append((path, f"{path}: {exc}" if path else str(exc)))
    return references, problems
