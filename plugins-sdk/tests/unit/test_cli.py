"""`python -m shoal_plugin`: schema, run (judged as the runner judges), build's offline checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shoal_plugin._cli import main
from shoal_plugin._local import judge

SDK = Path(__file__).parents[2]
FIXTURES = SDK / "tests/fixtures"
SHIPPED = ["http-wait", "postgres-database", "sql-script", "shell"]


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shoal_plugin", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_plugin_has_a_form_schema(name, capsys):
    assert main(["schema", str(SDK / "plugins" / name)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object" and isinstance(schema["required"], list)
    for prop in schema["properties"].values():
        assert prop.get("description"), f"{name}: every field needs a description for the form"


def test_schema_of_a_file_with_a_named_class(capsys):
    assert main(["schema", f"{FIXTURES / 'behaviours.py'}:Params"]) == 0
    assert json.loads(capsys.readouterr().out)["properties"]["behaviour"]["default"] == "ok"


def test_schema_of_an_importable_module():
    done = subprocess.run(
        [sys.executable, "-m", "shoal_plugin", "schema", "behaviours:Params"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(FIXTURES)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["properties"]["seconds"]["minimum"] == 0


def test_schema_of_something_that_is_not_a_plugin(tmp_path, capsys):
    assert main(["schema", str(tmp_path)]) == 2
    assert "is not a Python plugin and has no schema.json" in capsys.readouterr().err
    assert main(["schema", f"{FIXTURES / 'behaviours.py'}:Missing"]) == 2


def test_schema_of_a_plugin_that_does_not_import(tmp_path, capsys):
    (tmp_path / "plugin.py").write_text("import no_such_module_here\n")
    assert main(["schema", str(tmp_path)]) == 2
    assert "ModuleNotFoundError" in capsys.readouterr().err


def test_run_with_inline_params_secrets_and_urls():
    done = cli(
        "run", str(FIXTURES / "behaviours.py"),
        "--param", "behaviour=ok", "--secret", "TOKEN=x", "--deployment-name", "d9",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "outputs": {"action": "apply", "deployment": "d9", "secret_names": ["TOKEN"]}
    }


def test_run_a_whole_document_from_a_file(tmp_path):
    stdin = tmp_path / "stdin.json"
    stdin.write_text(json.dumps({"action": "rollback", "params": {"behaviour": "none"}}))
    done = cli("run", str(FIXTURES / "behaviours.py"), "--input", str(stdin))
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"outputs": {"undone": "none"}}


def test_run_reports_a_failed_step_and_keeps_its_exit_code():
    done = cli("run", str(FIXTURES / "behaviours.py"), "--params", '{"behaviour": "zz"}')
    assert done.returncode == 2
    assert "step failed: exit 2: invalid input: params.behaviour" in done.stderr


def test_run_kills_a_plugin_at_its_timeout():
    done = cli(
        "run", str(FIXTURES / "behaviours.py"), "--timeout", "1",
        "--param", "behaviour=sleep", "--param", "seconds=30",
    )  # fmt: skip
    assert done.returncode == 1
    assert "step failed: timeout" in done.stderr


def test_run_calls_an_array_on_stdout_a_failure():
    done = cli("run", str(FIXTURES / "array_output.sh"))
    assert done.returncode == 1
    assert "step failed: stdout is not one JSON object" in done.stderr


@pytest.mark.parametrize(
    ("code", "stdout", "problem"),
    [
        (0, '{"outputs": {"a": 1}}', ""),
        (0, "{}", ""),
        (0, " \n", ""),
        (0, "not json", "stdout is not one JSON object"),
        (0, '{"a": 1}\n{"b": 2}', "stdout is not one JSON object"),
        (0, '"text"', "stdout is not one JSON object"),
        (0, '{"outputs": [1]}', "outputs is not an object"),
        (1, '{"error": {"type": "x", "message": "boom"}}', "exit 1: boom"),
        (3, "", "stdout is not one JSON object"),
        (None, '{"outputs": {}}', "timeout"),
        (None, "", "timeout"),
    ],
)
def test_judge_is_the_runners_verdict(code, stdout, problem):
    assert judge(code, stdout).problem == problem


def test_build_refuses_a_missing_base_instead_of_pulling(capsys, monkeypatch):
    monkeypatch.setenv("SHOAL_DOCKER", "/usr/bin/docker")
    code = main(
        ["build", str(SDK / "examples/hello"), "--tag", "x:y", "--base", "shoal-test/none:0"]
    )
    assert code == 1
    assert (
        "base image shoal-test/none:0 is not here and nothing is pulled" in capsys.readouterr().err
    )


def test_bad_inline_values_are_clear_errors():
    done = cli("run", str(FIXTURES / "behaviours.py"), "--params", "[1]")
    assert done.returncode != 0 and "--params must be a JSON object" in done.stderr
    done = cli("run", str(FIXTURES / "behaviours.py"), "--secret", "novalue")
    assert done.returncode != 0 and "--secret must look like KEY=VALUE" in done.stderr
