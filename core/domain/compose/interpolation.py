"""Compose's variable syntax, filled from values the admin gives (never the server's own env).

    $$            a literal $
    $VAR ${VAR}   the value; unset is a problem (compose would quietly put "")
    ${VAR:-x}     x when VAR is unset or empty      ${VAR-x}   x when VAR is unset
    ${VAR:?msg}   a problem saying msg when unset or empty (${VAR?msg}: when unset)
    ${VAR:+x}     x when VAR is set and not empty    ${VAR+x}   x when VAR is set

Defaults may hold variables themselves (`${A:-${B}}`). `${{ … }}` is Shoal's own reference
syntax, which compose would refuse; it is named as such rather than half understood.
"""

from __future__ import annotations

import re
from typing import Any

from msgspec import Struct

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class Found(Struct, kw_only=True):
    """What filling a document met: every variable it names, and each problem by path."""

    variables: set[str]
    problems: list[str]


class _Problem(Exception):
    pass


def _closing(text: str, start: int) -> int:
    """Index of the `}` closing the `${` whose body starts at `start`; -1 when none."""
    depth = 1
    index = start
    while index < len(text):
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def _braced(body: str, values: dict[str, str], seen: set[str]) -> str:
    name = NAME.match(body)
    if name is None:
        raise _Problem(f"'${{{body}}}' is not a variable reference")
    var, rest = name.group(), body[name.end() :]
    seen.add(var)
    value = values.get(var)
    if not rest:
        if value is None:
            raise _Problem(f"the variable {var} has no value (give one, or a default)")
        return value
    op = next((o for o in OPERATORS if rest.startswith(o)), None)
    if op is None:
        raise _Problem(f"'${{{body}}}' is not a valid substitution")
    arg = fill(rest[len(op) :], values, seen)
    present = value is not None and (value != "" or ":" not in op)
    if op.endswith("-"):
        return value if present and value is not None else arg
    if op.endswith("?"):
        if not present or value is None:
            raise _Problem(f"{var} is required: {arg or 'give it a value'}")
        return value
    return arg if present else ""  # + and :+


def fill(text: str, values: dict[str, str], seen: set[str]) -> str:
    """One string with its variables replaced; names met are added to `seen`."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        following = text[index + 1 : index + 2]
        if following == "$":
            out.append("$")
            index += 2
        elif text.startswith("${{", index):
            raise _Problem(
                "'${{ … }}' is Shoal's reference syntax, which compose does not have; write "
                "${VAR} and give the value (or mark it secret) in the import form"
            )
        elif following == "{":
            end = _closing(text, index + 2)
            if end < 0:
                raise _Problem("a '${' is never closed")
            out.append(_braced(text[index + 2 : end], values, seen))
            index = end + 1
        elif name := NAME.match(text, index + 1):
            seen.add(name.group())
            if name.group() not in values:
                raise _Problem(f"the variable {name.group()} has no value")
            out.append(values[name.group()])
            index = name.end()
        else:
            raise _Problem("a lone '$' (write $$ for a literal dollar sign)")
    return "".join(out)


def interpolate(document: Any, values: dict[str, str]) -> tuple[Any, Found]:
    """The document with every string value filled (keys and `x-` extensions are left as
    they are)."""
    found = Found(variables=set(), problems=[])

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):  # `x-` extensions are ignored, so left as written
            return {
                k: v if str(k).startswith("x-") else walk(v, f"{path}.{k}" if path else str(k))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL cannot store it
            found.problems.append(f"{path}: a NUL character cannot be kept.")
        elif isinstance(value, str) and "$" in value:
            try:
                return fill(value, values, found.variables)
            except _Problem as problem:
                found.problems.append(f"{path}: {problem}.")
        return value

    return walk(document, ""), found
