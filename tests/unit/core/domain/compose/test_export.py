"""Export's value rules: literal dollars escaped, Shoal references as variables."""

import pytest

from core.domain.compose.export import compose_value, export


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("costs $5 or $$", "costs $$5 or $$$$"),
        ("pw=${{ secrets.DB_PASSWORD }}!", "pw=${DB_PASSWORD}!"),
        (
            "${{deployment.name}}-${{ nodes.seed.outputs.url }}",
            "${SHOAL_DEPLOYMENT_NAME}-${SHOAL_NODES_SEED_OUTPUTS_URL}",
        ),
    ],
)
def test_compose_value(text, expected):
    assert compose_value(text) == expected


ROW = {
    "registry": 1,
    "image": "team/app",
    "tag_mode": "pinned",
    "tag": "1.0",
    "tag_pattern": "",
    "port": 8080,
    "env": {"A": "catalog"},
    "health_check": {"kind": "http", "path": "/up", "interval_s": 4, "timeout_s": 1, "retries": 5},
    "command": "",
    "cpu": 0.25,
    "memory_mb": 64,
    "cap_add": [],
    "cap_drop": ["ALL"],
    "run_as": "1000",
}


def test_a_service_node_with_node_overrides():
    graph = {
        "nodes": [
            {
                "id": "app",
                "kind": "service",
                "config": {"service_id": 7, "env": {"B": "node"}, "cpu": 1.0},
            }
        ]
    }
    document = export(graph, {7: ROW}, {1: "http://127.0.0.1:5000"}, project="p", version=3)
    assert document == {
        "x-shoal": {"project": "p", "version": 3},
        "services": {
            "app": {
                "image": "127.0.0.1:5000/team/app:1.0",
                "environment": {"A": "catalog", "B": "node"},
                "ports": ["8080"],
                "healthcheck": {
                    "test": [
                        "CMD-SHELL",
                        "wget -q -O /dev/null http://localhost:8080/up || exit 1",
                    ],
                    "interval": "4s",
                    "timeout": "1s",
                    "retries": 5,
                },
                "deploy": {"resources": {"limits": {"cpus": "1", "memory": "64M"}}},
                "cap_drop": ["ALL"],
                "user": "1000",
            }
        },
    }
    hidden = export(graph, {7: ROW}, {1: "http://x"}, project="p", version=3, hide_catalog_env=True)
    assert hidden["services"]["app"]["environment"] == {"A": "${A}", "B": "node"}
