"""OUTPUTS and SECRET_OUTPUTS of a Python plugin join its schema as x-outputs/x-secret-outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoal_plugin._target import TargetError, target_schema

SDK = Path(__file__).parents[2]
PLUGIN = """
from dataclasses import dataclass

@dataclass
class Params:
    name: str = "x"

{declarations}
"""


def test_the_shipped_database_plugin_marks_its_password_and_url_secret():
    schema = target_schema(str(SDK / "plugins" / "postgres-database"))
    assert schema["x-outputs"] == ["url", "host", "port", "database", "user", "password"]
    assert schema["x-secret-outputs"] == ["url", "password"]
    assert "x-outputs" not in target_schema(str(SDK / "plugins" / "http-wait"))


@pytest.mark.parametrize(
    ("declarations", "problem"),
    [
        ('SECRET_OUTPUTS = "url"', "SECRET_OUTPUTS must be a list"),
        ('OUTPUTS = ["a"]\nSECRET_OUTPUTS = ["b"]', "missing from OUTPUTS: ['b']"),
    ],
)
def test_bad_declarations_stop_the_schema(tmp_path, declarations, problem):
    (tmp_path / "plugin.py").write_text(PLUGIN.format(declarations=declarations))
    with pytest.raises(TargetError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        target_schema(str(tmp_path))


def test_secret_outputs_alone_are_enough(tmp_path):
    (tmp_path / "plugin.py").write_text(PLUGIN.format(declarations='SECRET_OUTPUTS = ["token"]'))
    schema = target_schema(str(tmp_path))
    assert schema["x-secret-outputs"] == ["token"] and "x-outputs" not in schema
