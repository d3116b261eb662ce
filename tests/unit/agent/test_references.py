"""`${{ … }}` resolution."""

import pytest

from agent.references import Scope, UnresolvedReference, resolve, resolve_text

SCOPE = Scope(
    deployment={"id": 7, "name": "demo", "environment": "qa"},
    secrets={"DB_PASSWORD": "s3cret"},
    outputs={"db": {"port": 5432, "host": "db"}},
    urls={"api": "http://api.demo.qa.example"},
)


def test_whole_references_keep_their_type_and_embedded_ones_become_text():
    assert resolve("${{ nodes.db.outputs.port }}", SCOPE) == 5432
    assert resolve("pg://${{nodes.db.outputs.host}}:${{ nodes.db.outputs.port }}", SCOPE) == (
        "pg://db:5432"
    )
    assert resolve_text("${{ nodes.db.outputs.port }}", SCOPE) == "5432"


def test_every_kind_resolves_inside_nested_params():
    params = {
        "a": ["${{ secrets.DB_PASSWORD }}", {"b": "${{ deployment.name }}"}],
        "c": "${{ urls.api }}/v1",
        "n": 3,
    }
    assert resolve(params, SCOPE) == {
        "a": ["s3cret", {"b": "demo"}],
        "c": "http://api.demo.qa.example/v1",
        "n": 3,
    }


@pytest.mark.parametrize(
    "text, message",
    [
        ("${{ secrets.NOPE }}", "secret 'NOPE' was not sent"),
        ("${{ nodes.web.outputs.x }}", "node 'web' has not run"),
        ("${{ nodes.db.outputs.x }}", "no output 'x'"),
        ("${{ urls.web }}", "no URL"),
        ("${{ weather.today }}", "unknown reference"),
    ],
)
def test_unresolved_references_say_what_is_missing(text, message):
    with pytest.raises(UnresolvedReference, match=message):
        resolve(text, SCOPE)
