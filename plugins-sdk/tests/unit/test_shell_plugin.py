"""The shell plugin (POSIX sh + awk, no Python) run with this host's sh and awk.

The container tests run it again on busybox's; both awks must read and write the same JSON.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from shoal_plugin import Deployment, invocation_document

PLUGIN = Path(__file__).parents[2] / "plugins/shell/plugin.sh"


def start() -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["sh", str(PLUGIN)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_shell(stdin: str | dict) -> tuple[int, dict, str]:
    text = stdin if isinstance(stdin, str) else json.dumps(stdin)
    process = start()
    stdout, stderr = process.communicate(text, timeout=30)
    return process.returncode, json.loads(stdout), stderr


def test_script_sees_the_deployment_and_writes_outputs():
    script = (
        'echo "to the log"\n'
        'echo "name=$SHOAL_DEPLOYMENT_NAME@$SHOAL_PIPELINE_VERSION" >> "$SHOAL_OUTPUTS"\n'
        'echo "web=$SHOAL_URL_web_1" >> "$SHOAL_OUTPUTS"\n'
        'echo "token=$SHOAL_SECRET_TOKEN" >> "$SHOAL_OUTPUTS"\n'
        'echo "greeting=$GREETING" >> "$SHOAL_OUTPUTS"\n'
        'echo "quoted=it\'s \\\\ \\"q\\"" >> "$SHOAL_OUTPUTS"\n'
        'echo "tab=a\tb" >> "$SHOAL_OUTPUTS"\n'
        'grep -q \'"inputs"\' "$SHOAL_INPUT_FILE" && echo "input=seen" >> "$SHOAL_OUTPUTS"\n'
        'echo "no equals sign" >> "$SHOAL_OUTPUTS"\n'
    )
    document = invocation_document(
        "apply",
        {"script": script, "env": {"GREETING": "h\u00e9 \U0001f600 '$x'"}},
        deployment=Deployment(4, "d4", "qa", {"web-1": "http://web-1:80"}, pipeline_version=2),
        secrets={"TOKEN": 's3cr"et'},
        inputs={"db": {"url": "x"}},
    )
    code, stdout, stderr = run_shell(document)
    assert code == 0, stderr
    assert stdout == {
        "outputs": {
            "name": "d4@2",
            "web": "http://web-1:80",
            "token": 's3cr"et',
            "greeting": "h\u00e9 \U0001f600 '$x'",
            "quoted": 'it\'s \\ "q"',
            "tab": "a\tb",
            "input": "seen",
        }
    }
    assert "to the log" in stderr
    assert "ignored output line without KEY=: no equals sign" in stderr


def test_json_escapes_are_decoded():
    raw = (
        '{"action":"apply","params":{"script":"printf \'%s\' \\"$X\\" | od -c >&2; '
        'echo x=$X >> $SHOAL_OUTPUTS","env":{"X":"\\u00e9\\ud83d\\ude00\\/\\b"}}}'
    )
    code, stdout, _ = run_shell(raw)
    assert code == 0
    assert stdout == {"outputs": {"x": "\u00e9\U0001f600/\b"}}


def test_rollback_without_a_script_does_nothing():
    code, stdout, _ = run_shell(invocation_document("rollback", {"script": "exit 1"}))
    assert (code, stdout) == (0, {"outputs": {}})


def test_rollback_script_runs_on_rollback():
    params = {"script": "exit 1", "rollback_script": 'echo "undone=yes" >> "$SHOAL_OUTPUTS"'}
    code, stdout, _ = run_shell(invocation_document("rollback", params))
    assert (code, stdout) == (0, {"outputs": {"undone": "yes"}})


def test_a_failing_script_fails_the_step_at_the_first_error():
    code, stdout, stderr = run_shell(invocation_document("apply", {"script": "false\necho after"}))
    assert code == 1
    assert stdout == {
        "error": {"type": "script_failed", "message": "the apply script exited with 1"}
    }
    assert "after" not in stderr


def test_every_bad_field_is_named():
    document = {
        "action": "deploy",
        "params": {"script": "", "shell": 1, "env": {"1X": "a", "Y": 2}, "extra": True},
        "deployment": {"id": "x", "urls": {"web": 1}},
        "secrets": {"A": None},
    }
    code, stdout, _ = run_shell(document)
    assert code == 2
    assert stdout["error"]["type"] == "invalid_input"
    assert stdout["error"]["fields"] == {
        "action": "must be one of ['apply', 'rollback']",
        "params.extra": "unknown parameter",
        "params.script": "must have at least 1 characters",
        "params.shell": "expected string, got number",
        "params.env.Y": "expected string, got number",
        "params.env.1X": "not a valid variable name",
        "deployment.id": "expected number",
        "deployment.urls.web": "expected string, got number",
        "secrets.A": "expected string, got null",
    }


@pytest.mark.parametrize(
    "stdin", ["", "nope", '{"action": "apply"', '{"a": 1} {"b": 2}', '{"a": "\\q"}', "[1]"]
)
def test_stdin_that_is_not_a_json_object(stdin):
    code, stdout, _ = run_shell(stdin)
    assert code == 2
    assert list(stdout["error"]["fields"]) == ["stdin"]


def test_missing_script_is_required():
    code, stdout, _ = run_shell({"action": "apply", "params": {}})
    assert code == 2 and stdout["error"]["fields"] == {"params.script": "required"}


def test_sigterm_stops_the_script_with_exit_143():
    process = start()
    script = 'echo started >&2; sleep 30; echo "late=1" >> "$SHOAL_OUTPUTS"'
    process.stdin.write(json.dumps(invocation_document("apply", {"script": script})))
    process.stdin.close()
    deadline = time.monotonic() + 10
    while "started" not in process.stderr.readline():
        assert time.monotonic() < deadline
    process.send_signal(signal.SIGTERM)
    stdout = process.stdout.read()
    assert process.wait(timeout=10) == 143
    assert json.loads(stdout)["error"]["type"] == "terminated"
