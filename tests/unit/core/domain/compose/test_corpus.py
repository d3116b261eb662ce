"""Every file of the compose corpus planned and checked against its `x-expect`."""

import pytest

from core.domain.compose.graph import graph
from core.domain.compose.plan import make_plan

from .corpus import REGISTRIES, expectation, files


def test_the_corpus_has_at_least_15_stacks():
    assert len(files()) >= 15


def _matches(lines: list[str], expected: list[str]) -> None:
    """Line by line: as many lines as expected, each starting with (or holding) its text."""
    assert len(lines) == len(expected), lines
    for line, text in zip(lines, expected, strict=True):
        assert text in line, (text, line)


@pytest.mark.parametrize("path", files(), ids=lambda p: p.stem)
def test_corpus_file(path):
    expect, choices = expectation(path)
    plan = make_plan(path.read_text(), choices, REGISTRIES, "corpus")
    if "refused" in expect or "problems" in expect:
        assert not plan.ok
        _matches(plan.refused, expect.get("refused", []))
        _matches(plan.problems, expect.get("problems", []))
        return
    assert plan.ok, (plan.refused, plan.problems)
    built = graph(plan, {n.node_id: i for i, n in enumerate(plan.nodes, 1)})
    assert [n["id"] for n in built["nodes"]] == expect["nodes"]
    assert sorted([e["from"], e["to"]] for e in built["edges"]) == sorted(expect["edges"])
    assert sorted(plan.secret_values) == sorted(expect["secrets"])
    assert plan.renamed == expect.get("renamed", {})
    nodes = {n.node_id: n for n in plan.nodes}
    for node_id, kind in (expect.get("health") or {}).items():
        assert (nodes[node_id].health or {}).get("type") == kind
    for node_id, (cpu, memory) in (expect.get("resources") or {}).items():
        assert (nodes[node_id].cpu, nodes[node_id].memory_mb) == (cpu, memory)
    for text in expect.get("notes", []):
        assert any(text in note for note in plan.notes), plan.notes
