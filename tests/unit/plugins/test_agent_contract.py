"""Both sides of the plugin contract agree: what agent/plugins.py writes, the SDK reads; what the
SDK writes, the agent's parser accepts (success) and a failing exit code reports (error)."""

from __future__ import annotations

import json

import pytest

from agent import protocol as p
from agent.plugins import PluginFailed, parse_stdout, plugin_document
from shoal_plugin import Deployment, execute, param
from shoal_plugin._io import parse_invocation

SPEC = p.DeploymentSpec(
    id=7,
    name="dep7",
    environment="qa",
    limits=p.Limits(cpu=1.0, memory_mb=512),
    pipeline_version=4,
    nodes=[],
    urls={"web": "http://web.dep7.qa.example"},
    secrets={"TOKEN": "t-1"},
)


def test_the_agents_document_is_what_the_sdk_reads():
    document = plugin_document(SPEC, "rollback", {"n": 1}, {"db": {"url": "postgresql://x"}})
    invocation = parse_invocation(document.decode())
    assert invocation.action == "rollback"
    assert invocation.deployment == Deployment(
        7, "dep7", "qa", {"web": "http://web.dep7.qa.example"}, pipeline_version=4
    )
    assert invocation.params == {"n": 1}
    assert invocation.secrets == {"TOKEN": "t-1"}
    assert invocation.inputs == {"db": {"url": "postgresql://x"}}


def test_sdk_results_through_the_agents_parser():
    from dataclasses import dataclass

    @dataclass
    class Params:
        n: int = param(description="a number")

    def apply(ctx):
        return {"double": ctx.params.n * 2, "deployment": ctx.deployment.name}

    document = plugin_document(SPEC, "apply", {"n": 21}, {}).decode()
    code, result = execute(document, apply=apply, params=Params)
    assert code == 0
    assert parse_stdout("step", json.dumps(result).encode()) == {"double": 42, "deployment": "dep7"}

    bad = plugin_document(SPEC, "apply", {"n": "x"}, {}).decode()
    code, result = execute(bad, apply=apply, params=Params)
    assert code == 2  # a non-zero exit fails the step whatever stdout says
    assert result["error"]["fields"] == {"params.n": "expected integer, got string"}


@pytest.mark.parametrize("stdout", [b"[1]", b"not json", b'{"outputs": [1]}'])
def test_output_the_agent_refuses(stdout):
    with pytest.raises(PluginFailed):
        parse_stdout("step", stdout)
