"""docs/plugins.md's table of shipped plugins names every parameter each one really has."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal_plugin._target import target_schema

SDK = Path(__file__).parents[2]
DOC = SDK.parent / "docs/plugins.md"


@pytest.mark.parametrize("name", ["http-wait", "postgres-database", "sql-script", "shell"])
def test_every_parameter_is_in_the_table(name):
    rows = [line for line in DOC.read_text().splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"docs/plugins.md needs one table row for {name}"
    schema = target_schema(str(SDK / "plugins" / name))
    for prop in schema["properties"]:
        required = prop in schema["required"]
        assert (f"**`{prop}`**" if required else f"`{prop}`") in rows[0], f"{name}: {prop}"
