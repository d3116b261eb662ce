"""The output keywords of a plugin schema: "x-outputs" and "x-secret-outputs"."""

import pytest

from core.domain.plugin_outputs import declaration_problem, declared_outputs, secret_outputs


def test_declarations_are_read():
    schema = {"x-outputs": ["url", "user"], "x-secret-outputs": ["url"]}
    assert declared_outputs(schema) == ["url", "user"] and secret_outputs(schema) == ["url"]
    assert declared_outputs({}) is None and secret_outputs({}) == []
    assert declaration_problem(schema) is None
    assert declaration_problem({"x-secret-outputs": ["token"]}) is None  # no x-outputs: any key


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"x-secret-outputs": "url"}, '"x-secret-outputs" must be a list of output names'),
        ({"x-secret-outputs": ["url", 3]}, '"x-secret-outputs" must be a list of output names'),
        ({"x-outputs": [""]}, '"x-outputs" must be a list of output names'),
        (
            {"x-outputs": ["user"], "x-secret-outputs": ["url", "user"]},
            '"x-secret-outputs" names outputs missing from "x-outputs": url.',
        ),
    ],
)
def test_bad_declarations_are_refused_with_the_reason(schema, problem):
    assert problem in (declaration_problem(schema) or "")
