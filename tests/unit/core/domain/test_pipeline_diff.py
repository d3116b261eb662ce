"""The readable diff between two pipeline graphs."""

from core.domain.pipeline_diff import diff_graphs


def node(node_id, kind="service", **config):
    return {"id": node_id, "kind": kind, "config": config}


def test_nodes_edges_and_settings_are_named():
    old = {
        "nodes": [node("db", service_id=1), node("web", service_id=2, env={"A": "1", "B": "x"})],
        "edges": [{"from": "db", "to": "web"}],
        "layout": {"db": {"x": 0, "y": 0}},
    }
    new = {
        "nodes": [node("web", service_id=2, env={"A": "2", "C": "y"}, port=80), node("cache")],
        "edges": [{"from": "cache", "to": "web"}],
        "layout": {"db": {"x": 0, "y": 0}},
    }
    diff = diff_graphs(old, new, 3, 4)
    assert (diff.old_version, diff.new_version) == (3, 4)
    assert (diff.nodes_added, diff.nodes_removed) == (["cache"], ["db"])
    assert (diff.edges_added, diff.edges_removed) == (["cache → web"], ["db → web"])
    (web,) = diff.nodes_changed
    assert web.changes == [
        'env.A: "1" → "2"',
        'env.B: "x" → (unset)',
        'env.C: (unset) → "y"',
        "port: (unset) → 80",
    ]
    assert not diff.empty and not diff.layout_changed


def test_a_changed_kind_and_long_values_stay_readable():
    old = {"nodes": [node("x", "service", command="a" * 200)]}
    new = {"nodes": [node("x", "plugin", command="b")]}
    (change,) = diff_graphs(old, new, 1, 2).nodes_changed
    assert change.changes[0] == "kind: service → plugin"
    assert change.changes[1].startswith('command: "aaaa') and "…" in change.changes[1]


def test_only_moving_nodes_is_no_change_but_is_noted():
    graph = {"nodes": [node("a")], "edges": [], "layout": {"a": {"x": 0, "y": 0}}}
    moved = {**graph, "layout": {"a": {"x": 50, "y": 0}}}
    diff = diff_graphs(graph, moved, 1, 2)
    assert diff.empty and diff.layout_changed
