"""Reading a plugin's stdout, the document it gets, and secrets kept off the disk."""

import msgspec
import pytest

from agent.handshake import FIRST_DELAY_S, MAX_DELAY_S, Throttle
from agent.plugins import PluginFailed, parse_stdout, plugin_document
from agent.protocol import DeploymentSpec, Limits
from agent.references import redact


def test_stdout_outputs_are_read_and_bad_documents_fail_clearly():
    assert parse_stdout("s", b'{"outputs": {"url": "x"}}\n') == {"url": "x"}
    assert parse_stdout("s", b"") == {}
    with pytest.raises(PluginFailed, match="invalid JSON"):
        parse_stdout("s", b"hello")
    with pytest.raises(PluginFailed, match="JSON object"):
        parse_stdout("s", b"[1]")
    with pytest.raises(PluginFailed, match="'outputs' must be an object"):
        parse_stdout("s", b'{"outputs": 3}')


def test_the_document_has_the_contract_keys():
    spec = DeploymentSpec(
        id=1,
        name="d",
        environment="qa",
        limits=Limits(cpu=1, memory_mb=64),
        pipeline_version=3,
        nodes=[],
        secrets={"K": "v"},
    )
    document = msgspec.json.decode(plugin_document(spec, "rollback", {"p": 1}, {"a": {"o": 2}}))
    assert set(document) == {"action", "deployment", "params", "secrets", "inputs"}
    assert document["action"] == "rollback" and document["secrets"] == {"K": "v"}
    assert document["deployment"]["pipeline_version"] == 3


def test_redact_removes_secret_text_everywhere():
    outputs = {"dsn": "pg://u:hunter2@db", "list": ["hunter2"], "n": 1}
    assert redact(outputs, {"PW": "hunter2", "EMPTY": ""}) == {
        "dsn": "pg://u:[secret]@db",
        "list": ["[secret]"],
        "n": 1,
    }


def test_throttle_doubles_per_failure_and_resets_on_success():
    throttle = Throttle()
    delays = [throttle.delay_for("1.2.3.4") for _ in range(8)]
    assert delays[0] == FIRST_DELAY_S and delays[1] == 2 * FIRST_DELAY_S
    assert delays[-1] == MAX_DELAY_S
    assert throttle.delay_for("5.6.7.8") == FIRST_DELAY_S
    throttle.succeeded("1.2.3.4")
    assert throttle.delay_for("1.2.3.4") == FIRST_DELAY_S


def test_the_plugin_sdk_reads_what_the_agent_writes():
    from shoal_plugin._io import parse_invocation

    spec = DeploymentSpec(
        id=9,
        name="demo",
        environment="qa",
        limits=Limits(cpu=1, memory_mb=64),
        pipeline_version=2,
        nodes=[],
        secrets={"PW": "x"},
        urls={"web": "http://web.demo.qa.example"},
    )
    raw = plugin_document(spec, "apply", {"size": 3}, {"db": {"host": "db"}}).decode()
    invocation = parse_invocation(raw)
    assert invocation.action == "apply" and invocation.params == {"size": 3}
    assert invocation.deployment.name == "demo" and invocation.deployment.pipeline_version == 2
    assert invocation.deployment.urls == {"web": "http://web.demo.qa.example"}
    assert invocation.secrets == {"PW": "x"} and invocation.inputs == {"db": {"host": "db"}}


def test_an_sdk_error_document_becomes_the_step_error():
    from agent.plugins import reported_error

    assert reported_error(b'{"error": {"type": "invalid_params", "message": "size < 1"}}') == (
        "invalid_params: size < 1"
    )
    assert reported_error(b"not json") == "" and reported_error(b'{"outputs": {}}') == ""
