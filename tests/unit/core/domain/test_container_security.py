"""Capability names and the run-as user an admin may give a catalog service."""

import re

import pytest

from core.domain.container_security import check_capabilities, check_user
from core.errors import InvalidInput


def test_capabilities_are_canonical_and_deduplicated():
    names = ["cap_net_admin", " SYS_PTRACE ", "NET_ADMIN", "Chown"]
    assert check_capabilities(names, "cap_add", allow_all=False) == [
        "NET_ADMIN",
        "SYS_PTRACE",
        "CHOWN",
    ]
    assert check_capabilities(["all"], "cap_drop", allow_all=True) == ["ALL"]
    assert check_capabilities([], "cap_add", allow_all=False) == []


@pytest.mark.parametrize(
    ("names", "allow_all", "message"),
    [
        (["NET_ADMN"], False, "'NET_ADMN' is not a Linux capability"),
        (["ALL"], False, "ALL cannot be added"),
        ([""], True, "'(empty)' is not a Linux capability"),
        (["NET_ADMIN; rm -rf /"], True, "is not a Linux capability"),
        ("NET_ADMIN", True, "Give a list"),
        ([1], True, "Give a list"),
        (["CHOWN"] * 100, True, "Give a list"),
    ],
)
def test_bad_capabilities_are_refused_naming_the_field(names, allow_all, message):
    with pytest.raises(InvalidInput, match=re.escape(message)) as caught:
        check_capabilities(names, "cap_x", allow_all=allow_all)
    assert caught.value.field == "cap_x"


@pytest.mark.parametrize(
    "value", ["", "postgres", "1000", "1000:1000", "www-data:www-data", "app:100", "_svc$"]
)
def test_user_forms_docker_accepts_pass(value):
    assert check_user(f" {value} ") == value


@pytest.mark.parametrize(
    "value", ["root; id", "a b", ":1000", "1000:", "1:2:3", "99999999999", "4294967295", "é"]
)
def test_other_users_are_refused(value):
    with pytest.raises(InvalidInput) as caught:
        check_user(value)
    assert caught.value.field == "run_as"
