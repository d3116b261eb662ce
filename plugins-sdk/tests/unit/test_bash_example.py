"""The README's Bash plugin (no SDK) is a real, working plugin: the tests run the same file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

SDK = Path(__file__).parents[2]
EXAMPLE = SDK / "examples/bash-greeter/plugin.sh"
MARKER = "<!-- example: examples/bash-greeter/plugin.sh -->\n```bash\n"


def run_example(stdin: str) -> tuple[int, dict, str]:
    done = subprocess.run(
        ["bash", str(EXAMPLE)], input=stdin, capture_output=True, text=True, timeout=30
    )
    return done.returncode, json.loads(done.stdout), done.stderr


def test_readme_shows_exactly_the_tested_file():
    readme = (SDK / "README.md").read_text()
    start = readme.index(MARKER) + len(MARKER)
    assert readme[start : readme.index("```\n", start)] == EXAMPLE.read_text()


def test_apply_and_rollback():
    document = {
        "action": "apply",
        "deployment": {"id": 1, "name": "d1", "environment": "qa", "urls": {}},
        "params": {"name": "ann"},
        "secrets": {},
        "inputs": {},
    }
    code, stdout, stderr = run_example(json.dumps(document))
    assert (code, stdout) == (0, {"outputs": {"greeting": "hello ann"}})
    assert "hello ann from d1" in stderr
    code, stdout, _ = run_example(json.dumps({**document, "action": "rollback"}))
    assert (code, stdout) == (0, {"outputs": {}})


def test_every_bad_field_is_named():
    code, stdout, _ = run_example(json.dumps({"action": "go", "params": {"nam": "ann"}}))
    assert code == 2
    assert stdout["error"]["fields"] == {
        "action": "must be one of apply, rollback",
        "params.name": "required, a non-empty string",
        "params.nam": "unknown parameter",
    }


def test_params_that_are_not_an_object():
    code, stdout, _ = run_example(json.dumps({"action": "apply", "params": [1]}))
    assert code == 2
    assert stdout["error"]["fields"] == {"params": "expected an object"}


@pytest.mark.parametrize("stdin", ["", "not json", "[1]"])
def test_stdin_that_is_not_an_object(stdin):
    code, stdout, _ = run_example(stdin)
    assert code == 2 and stdout["error"]["type"] == "invalid_input"
