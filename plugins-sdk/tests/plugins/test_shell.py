"""The shell plugin as a real busybox container: busybox's sh and awk, no Python anywhere."""

from __future__ import annotations

import pytest
from plugin_containers import run_plugin, start_service

from shoal_plugin import Deployment, invocation_document

pytestmark = pytest.mark.docker


def test_script_runs_with_the_deployment_and_writes_outputs(
    docker_client, shipped_plugins, busybox_image, network
):
    start_service(
        docker_client,
        busybox_image,
        network,
        "web",
        command=["httpd", "-f", "-p", "80", "-h", "/www"],
    )
    script = (
        "wget -q -O /tmp/page $SHOAL_URL_web\n"
        'echo "page=$(cat /tmp/page)" >> "$SHOAL_OUTPUTS"\n'
        'who="$SHOAL_DEPLOYMENT_NAME/$SHOAL_ENVIRONMENT/$SHOAL_DEPLOYMENT_ID"\n'
        'echo "who=$who" >> "$SHOAL_OUTPUTS"\n'
        'echo "secret=$SHOAL_SECRET_API_KEY" >> "$SHOAL_OUTPUTS"\n'
        'echo "greeting=$GREETING" >> "$SHOAL_OUTPUTS"\n'
        "echo done"
    )
    document = invocation_document(
        "apply",
        {"script": script, "env": {"GREETING": "h\u00e9llo \"q\" 'x' \\"}},
        deployment=Deployment(5, "d5", "qa", {"web": "http://web/"}),
        secrets={"API_KEY": "k-1"},
    )
    step = run_plugin(docker_client, shipped_plugins["shell"], document, network=network)
    assert step.exit_code == 0, step.stderr
    assert step.document == {
        "outputs": {
            "page": "shoal busybox",
            "who": "d5/qa/5",
            "secret": "k-1",
            "greeting": "h\u00e9llo \"q\" 'x' \\",
        }
    }
    assert "done" in step.stderr  # the script's stdout is the step's log, not the result


def test_failing_script(docker_client, shipped_plugins):
    document = invocation_document("apply", {"script": "echo before\nexit 7\necho after"})
    step = run_plugin(docker_client, shipped_plugins["shell"], document)
    assert step.exit_code == 1
    assert step.document["error"]["message"] == "the apply script exited with 7"
    assert "before" in step.stderr and "after" not in step.stderr


def test_bad_input_names_every_field(docker_client, shipped_plugins):
    step = run_plugin(
        docker_client,
        shipped_plugins["shell"],
        {"action": "apply", "params": {"script": 1, "x": 2}},
    )
    assert step.exit_code == 2
    assert step.document["error"]["fields"] == {
        "params.x": "unknown parameter",
        "params.script": "expected string, got number",
    }
    step = run_plugin(docker_client, shipped_plugins["shell"], "not json")
    assert step.exit_code == 2 and list(step.document["error"]["fields"]) == ["stdin"]


def test_a_stopped_step_reports_terminated(docker_client, shipped_plugins):
    """The runner's timeout stops the container (SIGTERM via docker stop): exit 143, JSON error."""
    document = invocation_document("apply", {"script": "sleep 60"})
    step = run_plugin(docker_client, shipped_plugins["shell"], document, stop_after_s=1.5)
    assert step.exit_code == 143
    assert step.document["error"]["type"] == "terminated"


def test_a_killed_step_has_no_result(docker_client, shipped_plugins):
    """A plugin killed at the hard timeout writes nothing: the runner must fail the step."""
    document = invocation_document("apply", {"script": "sleep 60"})
    step = run_plugin(docker_client, shipped_plugins["shell"], document, timeout_s=1.5)
    assert step.exit_code is None and step.stdout == ""


def test_python_plugin_stopped_by_sigterm(docker_client, shipped_plugins):
    document = invocation_document("apply", {"url": "http://127.0.0.1:9/", "timeout_s": 60})
    step = run_plugin(docker_client, shipped_plugins["http-wait"], document, stop_after_s=1.5)
    assert step.exit_code == 143
    assert step.document["error"]["type"] == "terminated"
