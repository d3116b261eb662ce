"""Persisted state: specs without secrets, steps, and a corrupt file never blocks a start."""

from agent.protocol import DeploymentSpec, Limits, RegistryCredential, ServiceNode
from agent.store import Store


def make_spec() -> DeploymentSpec:
    return DeploymentSpec(
        id=3,
        name="d",
        environment="qa",
        limits=Limits(cpu=1, memory_mb=128),
        pipeline_version=1,
        nodes=[ServiceNode(id="web", image="i")],
        secrets={"PW": "hunter2"},
        registry_credentials=[RegistryCredential(registry="r", username="u", password="pass-42")],
    )


def test_secrets_and_credentials_never_reach_the_file(tmp_path):
    store = Store(tmp_path)
    store.save_deployment(make_spec(), "deploying")
    store.record_step(3, "web", "service", "succeeded", {"port": 80})
    store.close()
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert b"hunter2" not in raw and b"pass-42" not in raw
    again = Store(tmp_path)
    record = again.get(3)
    assert record.spec.secrets == {} and record.status == "deploying"
    assert again.steps(3)[0].outputs == {"port": 80}


def test_a_corrupt_file_is_moved_aside_and_the_store_starts_empty(tmp_path):
    (tmp_path / "state.db").write_bytes(b"garbage" * 1000)
    store = Store(tmp_path)
    assert store.all() == []
    assert any(path.name.startswith("state.db.corrupt-") for path in tmp_path.iterdir())
