"""The wire protocol: the message set is pinned, and the auth proof is what the docs say."""

import hashlib
import hmac

import msgspec
import pytest

from agent import protocol as p

REQUEST_TAGS = {
    "deploy",
    "delete",
    "sleep",
    "wake",
    "sync",
    "state",
    "logs",
    "logs_stop",
    "metrics",
    "plugins",
    "rotate_token",
    "exec",
    "terminal_open",
    "terminal_input",
    "terminal_resize",
    "terminal_ack",
    "terminal_close",
    "data_action",
    "dataset_put",
}
REPLY_TAGS = {
    "ok",
    "error",
    "deployments",
    "metrics_result",
    "exec_result",
    "data_result",
    "dataset_have",
}
EVENT_TAGS = {
    "step_started",
    "step_finished",
    "deployment_status",
    "pull_progress",
    "log",
    "logs_end",
    "heartbeat",
    "plugin_images",
    "terminal_output",
    "terminal_ended",
}
HANDSHAKE_TAGS = {"hello", "auth", "welcome", "auth_failed", "incompatible"}


def tags(union) -> set[str]:
    return {member.__struct_config__.tag for member in union.__args__}


def test_the_message_set_is_pinned():
    assert tags(p.Request) == REQUEST_TAGS
    assert tags(p.Reply) == REPLY_TAGS
    assert tags(p.Event) == EVENT_TAGS
    assert tags(p.Handshake) == HANDSHAKE_TAGS
    assert p.PROTOCOL_VERSION == 2


def test_auth_proof_matches_the_documented_formula():
    key = hashlib.sha256(b"tok").digest()
    expected = hmac.new(key, b"shoal-auth-v1|n1|n2|th", hashlib.sha256).hexdigest()
    assert p.token_key("tok") == key
    assert p.auth_proof(key, "n1", "n2", "th") == expected


def test_the_agent_proof_uses_its_own_label_so_no_proof_can_be_reflected():
    key = hashlib.sha256(b"tok").digest()
    expected = hmac.new(key, b"shoal-agent-v1|n1|n2|th", hashlib.sha256).hexdigest()
    assert p.agent_proof(key, "n1", "n2", "th") == expected
    assert p.agent_proof(key, "n1", "n2", "th") != p.auth_proof(key, "n1", "n2", "th")
    assert p.proofs_match(expected, expected.upper())
    assert not p.proofs_match(expected, p.auth_proof(key, "n1", "n2", "th"))


def test_a_node_claiming_an_absurd_capacity_is_not_readable():
    welcome = {
        "type": "welcome", "agent_version": "1", "protocol_version": 2, "agent_id": "a",
        "publish_address": "127.0.0.1", "proof": "00",
    }  # fmt: skip
    for capacity in ({"cpus": 1e9, "memory_mb": 1024}, {"cpus": 2, "memory_mb": 2**60},
                     {"cpus": -1, "memory_mb": 1024}, {"cpus": 0, "memory_mb": 0}):  # fmt: skip
        with pytest.raises(msgspec.ValidationError):
            p.decode(msgspec.json.encode({**welcome, "capacity": capacity}), p.Handshake)
    fine = {**welcome, "capacity": {"cpus": 64, "memory_mb": 512 * 1024}}
    assert p.decode(msgspec.json.encode(fine), p.Handshake).capacity.cpus == 64


def test_a_deploy_round_trips_with_wire_names():
    spec = p.DeploymentSpec(
        id=4,
        name="d",
        environment="qa",
        limits=p.Limits(cpu=1, memory_mb=256),
        pipeline_version=2,
        nodes=[p.ServiceNode(id="web", image="r/app:v1"), p.PluginNode(id="db", image="r/db:1")],
        edges=[p.Edge(source="db", target="web")],
    )
    raw = p.encode(p.Deploy(id=1, spec=spec))
    doc = msgspec.json.decode(raw)
    assert doc["type"] == "deploy"
    assert doc["spec"]["edges"] == [{"from": "db", "to": "web"}]
    assert [n["kind"] for n in doc["spec"]["nodes"]] == ["service", "plugin"]
    assert p.decode(raw, p.Request) == p.Deploy(id=1, spec=spec)


def test_plugin_defaults_follow_the_design():
    node = p.decode(b'{"id": "x", "kind": "plugin", "image": "i"}', p.PluginNode)
    assert node.config.timeout_s == 300 and node.config.join_network is False


def test_unknown_types_and_bad_shapes_raise_validation_errors():
    with pytest.raises(msgspec.ValidationError, match=r"\$\.type"):
        p.decode(b'{"type": "nope", "id": 1}', p.Request)
    with pytest.raises(msgspec.ValidationError):
        p.decode(b'{"type": "logs", "id": 1}', p.Request)
    with pytest.raises(msgspec.DecodeError):
        p.decode(b"{", p.Request)


def test_the_public_surface_is_pinned():
    public = {name for name in dir(p) if not name.startswith("_") and name[0].isupper()}
    public -= {"Any", "Struct"}  # typing helpers the package itself uses
    expected = {
        # spec
        "DeploymentSpec",
        "Edge",
        "HealthCheck",
        "Limits",
        "PluginConfig",
        "PluginInfo",
        "PluginNode",
        "RegistryCredential",
        "ServiceConfig",
        "ServiceNode",
        "Volume",
        # state
        "DeploymentState",
        "DeploymentStatusName",
        "DeploymentUsage",
        "NodeCapacity",
        "NodeMetrics",
        "PluginImageState",
        "ServiceUsage",
        "StepState",
        # messages and unions
        "Auth",
        "AuthFailed",
        "Hello",
        "Incompatible",
        "Welcome",
        "Delete",
        "Deploy",
        "GetMetrics",
        "GetState",
        "Logs",
        "LogsStop",
        "RotateToken",
        "Sleep",
        "Sync",
        "UpdatePlugins",
        "Wake",
        "Exec",
        "ExecResult",
        "DataAction",
        "DataActionName",
        "DataResult",
        "DatasetHave",
        "DatasetPut",
        "DatasetRef",
        "TerminalAck",
        "TerminalClose",
        "TerminalEnded",
        "TerminalInput",
        "TerminalOpen",
        "TerminalOutput",
        "TerminalRequest",
        "TerminalResize",
        "DeploymentsReply",
        "ErrorReply",
        "MetricsReply",
        "Ok",
        "DeploymentStatus",
        "Heartbeat",
        "LogLine",
        "LogsEnded",
        "PluginImages",
        "PullProgress",
        "StepFinished",
        "StepStarted",
        "Event",
        "Handshake",
        "Message",
        "Reply",
        "Request",
        # constants
        "AGENT_CONTEXT",
        "AUTH_CONTEXT",
        "EXEC_LIMIT_BYTES",
        "EXEC_TIMEOUT_MAX_S",
        "SWAPPING",
        "DATASET_CHUNK_BYTES",
        "TERMINAL_CHUNK_BYTES",
        "TERMINAL_WINDOW_BYTES",
        "MAX_MESSAGE_BYTES",
        "PROTOCOL_VERSION",
        "STEP_LOG_BYTES",
        "TRANSPORT_LIMIT_BYTES",
    }
    assert public == expected
    assert callable(p.encode) and callable(p.decode) and callable(p.auth_proof)
