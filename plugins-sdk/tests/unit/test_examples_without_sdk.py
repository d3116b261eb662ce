"""The README's plugins without the SDK (Bash with jq, Node.js) are real, working plugins: the
tests run the same files the README shows, through the same cases."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

SDK = Path(__file__).parents[2]
EXAMPLES = {
    "bash": (["bash"], "examples/bash-greeter/plugin.sh"),
    "javascript": (["node"], "examples/node-greeter/plugin.js"),
}
NEEDS = {"bash": "jq", "javascript": "node"}  # Debian packages jq and nodejs


@pytest.fixture(params=sorted(EXAMPLES))
def run_example(request):
    interpreter, path = EXAMPLES[request.param]
    if shutil.which(NEEDS[request.param]) is None:
        pytest.fail(f"{NEEDS[request.param]} is not installed (apt-get install it; build/deps.sh)")

    def run(stdin: str) -> tuple[int, dict, str]:
        done = subprocess.run(
            [*interpreter, str(SDK / path)], input=stdin, capture_output=True, text=True, timeout=30
        )
        return done.returncode, json.loads(done.stdout), done.stderr

    return run


@pytest.mark.parametrize("language", sorted(EXAMPLES))
def test_readme_shows_exactly_the_tested_file(language):
    path = EXAMPLES[language][1]
    marker = f"<!-- example: {path} -->\n```{language}\n"
    readme = (SDK / "README.md").read_text()
    start = readme.index(marker) + len(marker)
    assert readme[start : readme.index("```\n", start)] == (SDK / path).read_text()


def test_apply_and_rollback(run_example):
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


def test_every_bad_field_is_named(run_example):
    code, stdout, _ = run_example(json.dumps({"action": "go", "params": {"nam": "ann"}}))
    assert code == 2
    assert stdout["error"]["fields"] == {
        "action": "must be one of apply, rollback",
        "params.name": "required, a non-empty string",
        "params.nam": "unknown parameter",
    }


def test_params_that_are_not_an_object(run_example):
    code, stdout, _ = run_example(json.dumps({"action": "apply", "params": [1]}))
    assert code == 2
    assert stdout["error"]["fields"] == {"params": "expected an object"}


@pytest.mark.parametrize("stdin", ["", "not json", "[1]"])
def test_stdin_that_is_not_an_object(run_example, stdin):
    code, stdout, _ = run_example(stdin)
    assert code == 2 and stdout["error"]["type"] == "invalid_input"
