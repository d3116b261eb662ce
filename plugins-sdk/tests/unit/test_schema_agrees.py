"""The emitted schema is valid JSON Schema, and a standard validator (as the control plane's
form may use) accepts and refuses the same params as the SDK's own check."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from shoal_plugin import InvalidInput, params_schema, parse_params
from shoal_plugin._target import _load_module, target_schema

SDK = Path(__file__).parents[2]
PLUGINS = ["http-wait", "postgres-database", "sql-script", "shell"]
SAMPLES = {
    "http-wait": [
        {"url": "http://web/"},
        {"service": "web", "timeout_s": 5, "method": "HEAD"},
        {"timeout_s": 0},
        {"method": "POST"},
        {"interval_s": "1"},
        {"url": 1},
        {"extra": 1},
    ],
    "postgres-database": [
        {"host": "db", "admin_password": "x"},
        {"host": "db", "admin_password": "x", "database": "a_b", "port": 6543},
        {"host": "db"},
        {"host": "db", "admin_password": "x", "database": "a-b"},
        {"host": "db", "admin_password": "x", "port": 0},
        {"host": "db", "admin_password": "x", "port": True},
    ],
    "sql-script": [
        {"url": "postgresql://u:p@db/x", "sql": "SELECT 1", "format": "csv"},
        {"url": "postgresql://u:p@db/x", "sql": ""},
        {"url": "postgresql://u:p@db/x", "sql": "x", "format": "html"},
        {"url": "postgresql://u:p@db/x", "sql": "x", "max_output_chars": 1.5},
        {"sql": "x"},
    ],
}


@pytest.mark.parametrize("name", PLUGINS)
def test_schema_is_valid_draft_2020_12(name):
    jsonschema.Draft202012Validator.check_schema(target_schema(str(SDK / "plugins" / name)))


@pytest.mark.parametrize(
    ("name", "params"), [(n, s) for n, samples in SAMPLES.items() for s in samples]
)
def test_standard_validator_and_sdk_agree(name, params):
    params_class = _load_module(str(SDK / "plugins" / name)).Params
    validator = jsonschema.Draft202012Validator(params_schema(params_class))
    standard_ok = validator.is_valid(params)
    try:
        parse_params(params_class, params)
        sdk_ok = True
    except InvalidInput:
        sdk_ok = False
    assert standard_ok == sdk_ok, list(validator.iter_errors(params))
