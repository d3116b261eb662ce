"""Reading compose YAML: size limit, YAML bombs, invalid YAML, plain values."""

import time

import pytest

from core.domain.compose import ComposeInvalid
from core.domain.compose.loading import MAX_BYTES, load

BOMB = """\
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
services: {x: {image: busybox, command: *h}}
"""


def test_a_billion_laughs_is_refused_quickly():
    started = time.monotonic()
    with pytest.raises(ComposeInvalid, match="YAML bomb"):
        load(BOMB)
    assert time.monotonic() - started < 5


def test_a_recursive_alias_is_refused():
    with pytest.raises(ComposeInvalid, match="loop"):
        load("services: &s {x: {image: busybox, labels: *s}}\n")


def test_anchors_and_merge_keys_within_limits_load():
    text = (
        "x-base: &base {image: 'busybox:1', environment: {A: '1'}}\n"
        "services:\n  one: {<<: *base, command: sleep 1}\n  two: *base\n"
    )
    document = load(text)
    assert document["services"]["one"] == {
        "image": "busybox:1",
        "environment": {"A": "1"},
        "command": "sleep 1",
    }
    assert document["services"]["two"]["image"] == "busybox:1"


def test_a_file_over_10_mb_is_refused_before_parsing():
    with pytest.raises(ComposeInvalid, match="at most 10 MB"):
        load("#" * (MAX_BYTES + 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("services: [unclosed\n", "Invalid YAML: line"),
        ("", "empty"),
        ("- just\n- a list\n", "mapping"),
        ("services:\n  web:\n    environment: {1: x}\n", "services.web.environment: the key 1"),
    ],
)
def test_bad_documents_are_named(text, message):
    with pytest.raises(ComposeInvalid, match=message):
        load(text)


def test_dates_stay_text():
    assert load("services: {}\nx-when: 2024-01-02\n")["x-when"] == "2024-01-02"
