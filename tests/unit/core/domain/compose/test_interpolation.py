"""Compose interpolation from the admin's values."""

import pytest

from core.domain.compose.interpolation import interpolate

VALUES = {"SET": "v", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$SET and ${SET}", "v and v"),
        ("${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", "d d  d"),
        ("${SET:+alt} ${EMPTY:+alt} ${EMPTY+alt} ${UNSET+alt}", "alt  alt "),
        ("${UNSET:-${SET}}", "v"),
        ("$$SET costs $$5", "$SET costs $5"),
        ("no dollars", "no dollars"),
    ],
)
def test_substitutions(text, expected):
    filled, found = interpolate({"k": text}, VALUES)
    assert found.problems == []
    assert filled == {"k": expected}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("${UNSET}", "services.web.environment.K: the variable UNSET has no value"),
        ("${EMPTY:?say why}", "EMPTY is required: say why"),
        ("${{ secrets.X }}", "Shoal's reference syntax"),
        ("${SET", "never closed"),
        ("costs $ 5", "lone '$'"),
    ],
)
def test_problems_name_the_path(text, problem):
    _, found = interpolate({"services": {"web": {"environment": {"K": text}}}}, VALUES)
    assert len(found.problems) == 1
    assert problem in found.problems[0]
    assert found.problems[0].startswith("services.web.environment.K:")


def test_variables_are_collected_and_keys_untouched():
    filled, found = interpolate({"$KEY": ["${A:-1}", {"b": "$B"}]}, {"B": "2"})
    assert filled == {"$KEY": ["1", {"b": "2"}]}
    assert found.variables == {"A", "B"}


def test_a_nul_character_is_a_problem():
    _, found = interpolate({"a": "x\x00y"}, {})
    assert found.problems == ["a: a NUL character cannot be kept."]
