"""Pipeline files: dump as YAML or JSON, load either, map catalog ids by name."""

import json

import pytest

from core.domain.pipeline_file import dump, load, remap_catalog
from core.errors import InvalidInput

GRAPH = {
    "nodes": [
        {"id": "db", "kind": "service", "config": {"service_id": 3, "env": {"A": "${{ x }}"}}}
    ],
    "edges": [],
    "layout": {"db": {"x": 1.0, "y": 2.0}},
}
CATALOG = {"services": {"3": "postgres"}, "plugins": {}}


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_dump_then_load_gives_the_graph_back(fmt):
    text = dump(GRAPH, project="shop", version=4, catalog=CATALOG, fmt=fmt)
    document = load(text)
    assert {k: document[k] for k in ("nodes", "edges", "layout")} == GRAPH
    assert (document["project"], document["version"], document["shoal_pipeline"]) == ("shop", 4, 1)
    if fmt == "json":
        assert json.loads(text)["catalog"] == CATALOG


def test_ids_are_mapped_by_name_when_this_shoal_knows_the_name():
    document = {**GRAPH, "catalog": CATALOG}
    mapped = remap_catalog(document, {"service": {"postgres": 11}, "plugin": {}})
    assert mapped["nodes"][0]["config"]["service_id"] == 11
    unknown = remap_catalog(document, {"service": {"mysql": 12}, "plugin": {}})
    assert unknown["nodes"][0]["config"]["service_id"] == 3  # left for the save's checks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nodes: [\n  - id: a\n bad", "neither valid JSON nor YAML (line"),
        ("just text", "no 'nodes'"),
        ("shoal_pipeline: 2\nnodes: []", "format 2 is not supported"),
        ("x" * (1024 * 1024 + 1), "at most 1 MB"),
    ],
)
def test_bad_files_are_refused_clearly(text, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        load(text)
