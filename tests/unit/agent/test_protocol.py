"""The wire protocol: the message set is pinned, and the auth proof is what the docs say."""

import hashlib
import hmac

import msgspec
import pytest

from agent import protocol as p

REQUEST_TAGS = {
    "deploy",
    "delete",
    "sync",
    "state",
    "logs",
    "logs_stop",
    "metrics",
    "plugins",
    "rotate_token",
}
REPLY_TAGS = {"ok", "error", "deployments", "metrics_result"}
EVENT_TAGS = {
    "step_started",
    "step_finished",
    "deployment_status",
    "pull_progress",
    "log",
    "logs_end",
    "heartbeat",
}
HANDSHAKE_TAGS = {"hello", "auth", "welcome", "auth_failed", "incompatible"}


def tags(union) -> set[str]:
    return {member.__struct_config__.tag for member in union.__args__}


def test_the_message_set_is_pinned():
    assert tags(p.Request) == REQUEST_TAGS
    assert tags(p.Reply) == REPLY_TAGS
    assert tags(p.Event) == EVENT_TAGS
    assert tags(p.Handshake) == HANDSHAKE_TAGS
    assert p.PROTOCOL_VERSION == 1


def test_auth_proof_matches_the_documented_formula():
    key = hashlib.sha256(b"tok").digest()
    expected = hmac.new(key, b"shoal-auth-v1|n1|n2|th", hashlib.sha256).hexdigest()
    assert p.token_key("tok") == key
    assert p.auth_proof(key, "n1", "n2", "th") == expected


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
        # state
        "DeploymentState",
        "DeploymentStatusName",
        "DeploymentUsage",
        "NodeCapacity",
        "NodeMetrics",
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
        "Sync",
        "UpdatePlugins",
        "DeploymentsReply",
        "ErrorReply",
        "MetricsReply",
        "Ok",
        "DeploymentStatus",
        "Heartbeat",
        "LogLine",
        "LogsEnded",
        "PullProgress",
        "StepFinished",
        "StepStarted",
        "Event",
        "Handshake",
        "Message",
        "Reply",
        "Request",
        # constants
        "AUTH_CONTEXT",
        "MAX_MESSAGE_BYTES",
        "PROTOCOL_VERSION",
        "TRANSPORT_LIMIT_BYTES",
    }
    assert public == expected
    assert callable(p.encode) and callable(p.decode) and callable(p.auth_proof)
