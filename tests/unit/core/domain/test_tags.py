"""Tag patterns and ordering."""

import pytest

from core.domain.tags import check_tag, compile_pattern, filter_tags, sort_tags
from core.errors import InvalidInput

TAGS = ["v1.9.2", "v1.10.0", "v1.10.0-rc1", "features-login", "latest", "1.2.3", "1.2.10", "1.2"]


def test_highest_version_first_then_natural_order():
    assert sort_tags(["build-99", "v1.9.2", "build-100", "latest", "v1.10.0", "v1.10.0-rc1"]) == [
        "v1.10.0",
        "v1.10.0-rc1",
        "v1.9.2",
        "latest",
        "build-100",
        "build-99",
    ]


def test_sort_removes_duplicates():
    assert sort_tags(["a", "a", "b"]) == ["b", "a"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("v*", ["v1.10.0", "v1.10.0-rc1", "v1.9.2"]),
        ("1.2.*", ["1.2.10", "1.2.3"]),
        ("features-*", ["features-login"]),
        ("1.2.?", ["1.2.3"]),
        ("v1.[0-9].*", ["v1.9.2"]),
        ("[!v]*", ["1.2.10", "1.2.3", "1.2", "latest", "features-login"]),
        ("latest", ["latest"]),
        ("nothing-*", []),
    ],
)
def test_filter(pattern, expected):
    assert filter_tags(TAGS, pattern) == expected


def test_a_dot_is_literal():
    assert filter_tags(["1x2", "1.2"], "1.2") == ["1.2"]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "Enter a pattern"),
        ("v[1", "Unclosed"),
        ("v[]", "Unclosed or empty"),
        ("v]", "Unmatched"),
        ("feature/*", "use '-' instead of '/'"),
        ("a b", "' ' cannot appear"),
        ("[z-a]*", "not a valid set"),
        ("[a/]*", "no tag can contain"),
        ("x" * 129, "at most 128"),
    ],
)
def test_invalid_patterns_are_explained(pattern, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        compile_pattern(pattern)
    assert caught.value.field == "tag_pattern"


def test_check_tag():
    assert check_tag(" v1.0 ") == "v1.0"
    for bad in ["", "-x", ".x", "a/b", "x" * 129, "a b"]:
        with pytest.raises(InvalidInput):
            check_tag(bad)
