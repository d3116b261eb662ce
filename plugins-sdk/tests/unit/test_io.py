"""The stdin document: what is accepted, and every way it can be wrong."""

import json

import pytest

from shoal_plugin import Deployment, InvalidInput, invocation_document
from shoal_plugin._io import parse_invocation


def test_the_agents_document_is_read():
    document = invocation_document(
        "rollback",
        {"a": 1},
        deployment=Deployment(7, "d7", "qa", {"web": "http://web.d7.qa.test"}),
        secrets={"TOKEN": "t"},
        inputs={"db": {"url": "postgresql://x"}},
    )
    document["deployment"]["pipeline_version"] = 3
    document["deployment"]["added_later"] = True  # unknown keys are for the future: ignored
    document["added_later"] = {}
    invocation = parse_invocation(json.dumps(document))
    assert invocation.action == "rollback"
    assert invocation.deployment == Deployment(7, "d7", "qa", {"web": "http://web.d7.qa.test"}, 3)
    assert invocation.params == {"a": 1}
    assert invocation.secrets == {"TOKEN": "t"}
    assert invocation.inputs == {"db": {"url": "postgresql://x"}}


def test_optional_parts_default_for_hand_written_input():
    invocation = parse_invocation('{"action": "apply"}')
    assert invocation.deployment == Deployment()
    assert invocation.params == invocation.secrets == invocation.inputs == {}


@pytest.mark.parametrize("text", ["", "not json", "{", '{"action": "apply"} trailing'])
def test_stdin_that_is_not_json(text):
    with pytest.raises(InvalidInput) as caught:
        parse_invocation(text)
    assert list(caught.value.fields) == ["stdin"]
    assert "not JSON" in caught.value.message


@pytest.mark.parametrize("text", ["[]", "3", '"apply"', "null"])
def test_stdin_that_is_not_an_object(text):
    with pytest.raises(InvalidInput) as caught:
        parse_invocation(text)
    assert caught.value.fields == {"stdin": "expected a JSON object"}


def test_every_bad_top_level_field_is_named():
    document = {
        "action": "destroy",
        "params": [],
        "secrets": {"A": 1},
        "inputs": "x",
        "deployment": {"id": "7", "name": 3, "urls": {"web": 5}},
    }
    with pytest.raises(InvalidInput) as caught:
        parse_invocation(json.dumps(document))
    assert caught.value.fields == {
        "action": (
            "must be one of ['apply', 'rollback', 'checkpoint', 'reset', 'drop_checkpoint', "
            "'usage', 'prepare_reset'], got 'destroy'"
        ),
        "params": "expected object, got list",
        "inputs": "expected object, got str",
        "secrets.A": "expected string",
        "deployment.id": "expected int",
        "deployment.name": "expected str",
        "deployment.urls.web": "expected string",
    }
