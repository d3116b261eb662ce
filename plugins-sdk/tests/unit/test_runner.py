"""apply/rollback dispatch, outcomes and exit codes: in-process, then as a real process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shoal_plugin import execute, invocation_document

FIXTURES = Path(__file__).parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES))
import behaviours  # noqa: E402


def run_in_process(behaviour: str, action: str = "apply") -> tuple[int, dict]:
    document = invocation_document(action, {"behaviour": behaviour}, secrets={"B": "1", "A": "2"})
    return execute(
        json.dumps(document),
        apply=behaviours.apply,
        rollback=behaviours.rollback,
        params=behaviours.Params,
    )


def test_apply_returns_outputs():
    assert run_in_process("ok") == (
        0,
        {"outputs": {"action": "apply", "deployment": "", "secret_names": ["A", "B"]}},
    )


def test_none_means_no_outputs():
    assert run_in_process("none") == (0, {"outputs": {}})


def test_async_rollback():
    assert run_in_process("ok", "rollback") == (0, {"outputs": {"undone": "ok"}})


def test_missing_rollback_succeeds_with_nothing_to_undo():
    document = json.dumps(invocation_document("rollback", {}))
    assert execute(document, apply=behaviours.apply) == (0, {"outputs": {}})


def test_a_data_action_gets_its_handler_and_its_data():
    document = invocation_document("checkpoint", {}, data={"checkpoint": "before"})
    handlers = {"checkpoint": lambda ctx: {"saved": ctx.data["checkpoint"], "as": ctx.action}}
    assert execute(json.dumps(document), apply=behaviours.apply, actions=handlers) == (
        0,
        {"outputs": {"saved": "before", "as": "checkpoint"}},
    )


def test_a_data_action_the_plugin_does_not_offer_fails_clearly():
    document = json.dumps(invocation_document("reset", {}, data={"checkpoint": "x"}))
    code, result = execute(document, apply=behaviours.apply)
    assert code == 1
    assert result["error"]["message"] == "this plugin does not offer the 'reset' action"


def test_plugin_error_is_exit_1_without_traceback(capsys):
    code, document = run_in_process("plugin_error")
    assert code == 1
    assert document == {"error": {"type": "plugin_error", "message": "the thing is broken"}}
    assert "Traceback" not in capsys.readouterr().err


def test_exception_is_exit_1_with_traceback(capsys):
    code, document = run_in_process("crash")
    assert code == 1
    assert document["error"] == {
        "type": "exception",
        "message": "ZeroDivisionError: division by zero",
    }
    assert "Traceback" in capsys.readouterr().err


def test_invalid_input_found_by_the_plugin_is_exit_2():
    code, document = run_in_process("invalid")
    assert code == 2
    assert document["error"]["fields"] == {"params.seconds": "too late"}


@pytest.mark.parametrize("behaviour", ["bad_return", "unjsonable", "nan"])
def test_outputs_that_are_not_a_json_object_are_a_failure(behaviour):
    code, document = run_in_process(behaviour)
    assert code == 1 and document["error"]["type"] == "exception"


def test_bad_params_name_every_field():
    document = invocation_document("apply", {"behaviour": "dance", "seconds": -1, "x": 0})
    code, result = execute(json.dumps(document), apply=behaviours.apply, params=behaviours.Params)
    assert code == 2
    assert set(result["error"]["fields"]) == {"params.behaviour", "params.seconds", "params.x"}


def start(stdin: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(FIXTURES / "behaviours.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_process(stdin: str) -> tuple[int, str, str]:
    process = start(stdin)
    stdout, stderr = process.communicate(stdin, timeout=30)
    return process.returncode, stdout, stderr


def test_process_success_writes_only_the_document():
    code, stdout, _ = run_process(json.dumps(invocation_document("apply", {})))
    assert code == 0
    assert json.loads(stdout)["outputs"]["action"] == "apply"
    assert stdout.count("\n") == 1


def test_process_stdout_is_protected_from_prints_and_children():
    stdin = json.dumps(invocation_document("apply", {"behaviour": "noisy"}))
    code, stdout, stderr = run_process(stdin)
    assert code == 0
    assert json.loads(stdout)["outputs"]["action"] == "apply"
    assert "a stray print" in stderr and "a child's output" in stderr


@pytest.mark.parametrize("stdin", ["", "{not json", "[1, 2]"])
def test_process_bad_stdin_is_exit_2_with_a_json_error(stdin):
    code, stdout, _ = run_process(stdin)
    assert code == 2
    assert json.loads(stdout)["error"]["type"] == "invalid_input"


def test_process_exception_is_exit_1_traceback_on_stderr_json_on_stdout():
    code, stdout, stderr = run_process(
        json.dumps(invocation_document("apply", {"behaviour": "crash"}))
    )
    assert code == 1
    assert "Traceback" in stderr and "ZeroDivisionError" in stderr
    assert json.loads(stdout)["error"]["type"] == "exception"


def test_process_sigterm_is_exit_143_with_a_json_error():
    process = start("")
    process.stdin.write(
        json.dumps(invocation_document("apply", {"behaviour": "sleep", "seconds": 30}))
    )
    process.stdin.close()
    deadline = time.monotonic() + 10
    while "sleeping" not in (line := process.stderr.readline()) and time.monotonic() < deadline:
        assert line, "the plugin ended before sleeping"
    process.send_signal(signal.SIGTERM)
    stdout = process.stdout.read()
    assert process.wait(timeout=10) == 143
    assert json.loads(stdout)["error"]["type"] == "terminated"
