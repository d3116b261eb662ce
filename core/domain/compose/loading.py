"""Read a compose file's YAML safely: bounded size, bounded alias expansion, plain values.

PyYAML shares one object for every alias of an anchor, so a "billion laughs" file loads in
microseconds and explodes later, when the schema check or interpolation walks it. The
document's size is therefore measured as if every alias were expanded, before anything walks
it. Timestamps stay strings (compose has none, and JSON Schema knows no datetime).
"""

from __future__ import annotations

from typing import Any

import yaml

from core.domain.compose import ComposeInvalid

MAX_BYTES = 10 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000  # far above any real stack (a 300-service file is ~30k nodes)


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_size(root: yaml.Node) -> int:
    """Node count with aliases expanded; a recursive alias is refused."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ComposeInvalid(["The file refers to an anchor from inside itself (a loop)."])
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_nodes.discard(key)
        sizes[key] = min(total, MAX_EXPANDED_NODES + 1)
        return sizes[key]

    return size(root)


def load(text: str | bytes) -> dict[str, Any]:
    """The compose document as a dict with string keys; ComposeInvalid says what is wrong."""
    if len(text) > MAX_BYTES:
        raise ComposeInvalid(["A compose file is at most 10 MB."])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ComposeInvalid(["The file is empty."])
        if _expanded_size(node) > MAX_EXPANDED_NODES:
            raise ComposeInvalid(
                [
                    "The file's anchors and aliases expand to more than "
                    f"{MAX_EXPANDED_NODES:,} values; it is refused (a YAML bomb?)."
                ]
            )
        document = loader.construct_document(node)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}: " if where else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ComposeInvalid([f"Invalid YAML: {line}{problem}."]) from exc
    except RecursionError as exc:
        raise ComposeInvalid(["The file nests too deeply."]) from exc
    finally:
        loader.dispose()
    if not isinstance(document, dict):
        raise ComposeInvalid(["A compose file is a mapping with a 'services' key."])
    _check_keys(document, "")
    return document


def _check_keys(value: Any, path: str) -> None:
    """Compose keys are strings: `1: x` or `null: y` would reach JSON Schema as non-strings."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ComposeInvalid([f"{path or 'top level'}: the key {key!r} is not text."])
            _check_keys(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_keys(item, f"{path}[{index}]")
