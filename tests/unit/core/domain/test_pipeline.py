"""Pipeline graph rules: one case per message, each landing on the node it is about."""

import pytest

from core.domain.pipeline import Graph, Node, layers
from core.domain.pipeline_checks import check
from core.domain.pipeline_facts import Facts, PluginFacts, ServiceFacts
from core.services.plugins import check_params

SCHEMA = {
    "type": "object",
    "properties": {
        "script": {"type": "string", "minLength": 1},
        "retries": {"type": "integer"},
        "mode": {"enum": ["fast", "safe"]},
    },
    "required": ["script"],
    "additionalProperties": False,
    "x-outputs": ["url"],
}
FACTS = Facts(
    services={
        1: ServiceFacts(name="postgres", cpu=0.5, memory_mb=256, port=5432),
        2: ServiceFacts(name="worker", cpu=0.25, memory_mb=128, port=None),
    },
    plugins={
        7: PluginFacts(
            name="setup", image="shoal/setup", tag="1.4", registry_id=3, param_schema=SCHEMA
        ),
        8: PluginFacts(name="free", image="shoal/free", tag="2", param_schema={}),
    },
    secrets=frozenset({"DB_PASSWORD"}),
    cpu=2.0,
    memory_mb=2048,
)


def svc(node_id, service_id=1, **config):
    return {"id": node_id, "kind": "service", "config": {"service_id": service_id, **config}}


def plug(node_id, plugin_id=7, **params):
    params = params or {"script": "echo hi"}
    return {"id": node_id, "kind": "plugin", "config": {"plugin_id": plugin_id, "params": params}}


def run(nodes, edges=(), layout=None):
    raw = {
        "nodes": list(nodes),
        "edges": [{"from": a, "to": b} for a, b in edges],
        "layout": layout or {},
    }
    return check(raw, FACTS, check_params)


def only(issues):
    assert len(issues) == 1, issues
    return issues[0].node, issues[0].message


def test_a_valid_graph_is_normalised_and_tags_frozen():
    graph, issues = run(
        [
            svc("db"),
            plug("migrate", script="psql ${{ nodes.db-init.outputs.url }}"),
            plug("db-init", 8, anything="${{ secrets.DB_PASSWORD }}"),
        ],
        [("db", "db-init"), ("db-init", "migrate"), ("db", "db-init")],
        {"db": {"x": 1, "y": 2}, "ghost": {"x": 0, "y": 0}},
    )
    assert issues == []
    assert graph.nodes[1].config == {
        "plugin_id": 7,
        "params": {"script": "psql ${{ nodes.db-init.outputs.url }}"},
        "image": "shoal/setup",
        "tag": "1.4",
        "registry_id": 3,
    }
    assert graph.nodes[0].config == {"service_id": 1}
    assert len(graph.edges) == 2 and list(graph.layout) == ["db"]
    assert layers(graph) == [["db"], ["db-init"], ["migrate"]]


def test_the_shape_is_checked_first():
    _, issues = check({"nodes": "many"}, FACTS, check_params)
    assert only(issues)[1].startswith("The graph is not in the expected shape")


def test_too_many_nodes():
    _, issues = run([svc(f"n{i}") for i in range(201)])
    assert only(issues) == (None, "At most 200 nodes and 1000 edges.")


def test_invalid_node_id():
    assert "is not a valid node id" in only(run([svc("Web_1")])[1])[1]


def test_duplicate_node_id():
    _, issues = run([svc("web"), svc("web", port=80)])
    assert only(issues) == ("web", "Two nodes are named 'web'; node ids must be unique.")


def test_unknown_kind():
    _, issues = run([{"id": "x", "kind": "volume", "config": {}}])
    assert only(issues) == ("x", "Unknown node kind 'volume': use service or plugin.")


def test_unknown_setting_is_named():
    node, message = only(run([svc("web", memroy_mb=5)])[1])
    assert node == "web" and "Invalid settings" in message and "memroy_mb" in message


def test_unknown_service():
    assert only(run([svc("web", 99)])[1]) == ("web", "Unknown service (id 99); it was deleted?")


def test_unknown_plugin():
    assert only(run([plug("x", 99)])[1]) == ("x", "Unknown plugin (id 99); it was deleted?")


def test_missing_required_param():
    _, issues = run([{"id": "p", "kind": "plugin", "config": {"plugin_id": 7, "params": {}}}])
    assert only(issues) == ("p", "Parameter (root): 'script' is a required property")


def test_param_failing_the_schema():
    _, issues = run([plug("p", script="x", mode="slow")])
    assert only(issues) == ("p", "Parameter mode: 'slow' is not one of ['fast', 'safe']")


def test_a_whole_reference_may_stand_for_a_typed_param():
    _, issues = run(
        [plug("a"), plug("b", script="x", retries="${{ nodes.a.outputs.url }}")], [("a", "b")]
    )
    assert issues == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"port": 70000}, "The port must be between 1 and 65535."),
        ({"cpu": 0.001}, "CPU must be between 0.01 and 256 cores."),
        ({"memory_mb": 1}, "Memory must be between 8 MB and 1 TB."),
        (
            {"health_check": {"type": "http", "path": "up"}},
            "The health check path must start with '/'.",
        ),
        ({"env": {"1BAD": "x"}}, "'1BAD' is not a valid environment variable name."),
    ],
)
def test_service_settings(config, message):
    assert only(run([svc("web", **config)])[1]) == ("web", message)


def test_dangling_edge_lands_on_the_node_that_exists():
    _, issues = run([svc("db")], [("db", "gone")])
    assert only(issues) == ("db", "The edge db → gone names no node 'gone'.")


def test_cycle_is_reported_on_each_node_in_it_only():
    _, issues = run(
        [svc("a"), plug("b"), plug("c"), plug("d")],
        [("a", "b"), ("b", "c"), ("c", "b"), ("c", "d")],
    )
    assert [(i.node, i.message) for i in issues] == [
        ("b", "'b' is in a cycle: b → c → b."),
        ("c", "'c' is in a cycle: c → b → c."),
    ]


def test_self_loop_is_a_cycle():
    assert only(run([svc("a")], [("a", "a")])[1]) == ("a", "'a' is in a cycle: a → a.")


def test_malformed_reference():
    node, message = only(run([svc("web", env={"A": "${{ secret.X }}"})])[1])
    assert node == "web" and message.startswith("env.A: '${{ secret.X }}' is not a reference")


def test_unknown_secret():
    _, issues = run([svc("web", env={"A": "${{ secrets.NOPE }}"})])
    assert only(issues) == ("web", "env.A: ${{ secrets.NOPE }} names no secret of this project.")


def test_unknown_node_reference():
    _, issues = run([svc("web", command="x ${{ nodes.ghost.outputs.url }}")])
    assert only(issues) == (
        "web",
        "command: ${{ nodes.ghost.outputs.url }} names no node of this pipeline.",
    )


def test_urls_only_for_service_nodes():
    _, issues = run([plug("p"), svc("web", env={"U": "${{ urls.p }}"})])
    assert only(issues) == (
        "web",
        "env.U: ${{ urls.p }}: 'p' is a plugin; only service nodes have URLs.",
    )


def test_url_of_a_service_without_a_port():
    _, issues = run([svc("w", 2), svc("web", env={"U": "${{ urls.w }}"})])
    assert only(issues) == ("web", "env.U: ${{ urls.w }}: 'w' exposes no port, so it has no URL.")


def test_urls_need_no_order():
    _, issues = run(
        [
            svc("api", env={"FRONT": "${{ urls.front }}"}),
            svc("front", env={"API": "${{ urls.api }}"}),
        ]
    )
    assert issues == []


def test_own_outputs():
    _, issues = run([plug("p", script="${{ nodes.p.outputs.url }}")])
    assert only(issues) == (
        "p",
        "params.script: ${{ nodes.p.outputs.url }}: a node cannot use its own outputs.",
    )


def test_reference_to_a_node_that_does_not_run_before():
    _, issues = run([plug("a"), plug("b", script="${{ nodes.a.outputs.url }}")])
    assert only(issues) == (
        "b",
        "params.script: ${{ nodes.a.outputs.url }}: 'a' does not run before 'b'; "
        "connect a → b (directly or through other nodes).",
    )


def test_outputs_of_a_service():
    _, issues = run([svc("db"), plug("b", script="${{ nodes.db.outputs.url }}")], [("db", "b")])
    assert only(issues) == (
        "b",
        "params.script: ${{ nodes.db.outputs.url }}: 'db' is a service; only plugins have outputs.",
    )


def test_undeclared_output():
    _, issues = run([plug("a"), plug("b", script="${{ nodes.a.outputs.port }}")], [("a", "b")])
    assert only(issues) == (
        "b",
        "params.script: ${{ nodes.a.outputs.port }}: plugin 'setup' has no output 'port' "
        "(it has: url).",
    )


def test_cpu_over_the_project_limit_lands_on_every_node_that_asks():
    _, issues = run(
        [svc("a", cpu=1.0), svc("b", cpu=0.5), plug("p"), plug("q")], [("a", "p"), ("a", "q")]
    )
    assert [i.node for i in issues] == ["a", "b", "p", "q"]
    assert issues[0].message == (
        "The pipeline asks 2.5 CPU (services 1.5, plugins running together 1), over the "
        "project's limit of 2 CPU; this node asks 1 CPU."
    )


def test_memory_over_the_project_limit():
    _, issues = run([svc("a", memory_mb=2000), plug("p")], [("a", "p")])
    assert [i.node for i in issues] == ["a", "p"]
    assert "asks 2256 MB RAM (services 2000, plugins running together 256)" in issues[0].message


def test_plugins_in_sequence_do_not_add_up():
    _, issues = run([svc("a", cpu=1.0), plug("p"), plug("q")], [("a", "p"), ("p", "q")])
    assert issues == []


def test_layers_leave_out_a_cycle():
    graph = Graph(nodes=[Node(id="a", kind="service"), Node(id="b", kind="service")])
    assert layers(graph) == [["a", "b"]]


@pytest.mark.parametrize(
    ("nodes", "edges", "where"),
    [
        ([svc("Bad")], [], [("Bad", "id", None)]),
        ([svc("web", port="x")], [], [("web", "config.port", None)]),
        ([svc("web", port=0)], [], [("web", "config.port", None)]),
        ([svc("web", service_id=99)], [], [("web", "config.service_id", None)]),
        ([svc("web", env={"A": "${{ secrets.NOPE }}"})], [], [("web", "config.env.A", None)]),
        ([svc("web", env={"A": "${{ oops }}"})], [], [("web", "config.env.A", None)]),
        ([plug("p", script="")], [], [("p", "config.params.script", None)]),
        ([plug("p", plugin_id=9)], [], [("p", "config.plugin_id", None)]),
        ([svc("db")], [("db", "gone")], [("db", None, ("db", "gone"))]),
        (
            [svc("a", cpu=1.9), plug("p")],
            [("a", "p")],
            [("a", "config.cpu", None), ("p", None, None)],
        ),
    ],
)
def test_each_issue_says_where_in_the_node_it_is(nodes, edges, where):
    """What the editor marks: the panel input (`field`, as its data-path) or the edge."""
    _, issues = run(nodes, edges)
    found = [(i.node, i.field, (i.edge.source, i.edge.target) if i.edge else None) for i in issues]
    assert found == where
